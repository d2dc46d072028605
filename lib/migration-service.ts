import { Duration } from 'aws-cdk-lib';
import { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { ContainerDefinition, ContainerImage, CpuArchitecture, FargateService, FargateTaskDefinition, ICluster, LogDrivers, OperatingSystemFamily, PortMapping, Secret } from 'aws-cdk-lib/aws-ecs';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { Removal } from './config';
import { migrationLogGroup } from './log-retention';
import { logGroupName, ServiceId, serviceName } from './naming';

export interface MigrationServiceProps {
  stage: string;
  service: ServiceId;
  cluster: ICluster;
  vpc: IVpc;
  subnets: SubnetSelection;
  securityGroup: ISecurityGroup;
  image: ContainerImage;
  /** The container's command: the service's name, then its arguments. */
  command: string[];
  /** Plain settings only; anything secret goes in `secrets`. */
  environment: Record<string, string>;
  /** Environment variables filled from Secrets Manager or SSM when the task starts. */
  secrets?: Record<string, Secret>;
  cpu: number;
  memoryMiB: number;
  /** @default Fargate's 21 GiB */
  ephemeralStorageGiB?: number;
  /** @default 0 (the console scales it when the migration gets there) */
  desiredCount?: number;
  /** What the task's own code may call. */
  statements: PolicyStatement[];
  logRetentionDays: number;
  logRemoval: Removal;
  logEncryptionKey?: IKey;
  /**
   * Operators open a shell in the task (ECS Exec). Its agent writes into the container, so the root
   * filesystem stays writable; every other service runs read-only with a scratch volume on /tmp.
   * @default false
   */
  operatorShell?: boolean;
  portMappings?: PortMapping[];
  /** For services behind a load balancer. */
  healthCheckGracePeriod?: Duration;
}

/** Where a read-only task may write: a task-scoped volume (the image declares it, world-writable). */
export const SCRATCH_PATH = '/tmp';

/** One Fargate service of the migration: task role with exactly `statements`, logs with retention. */
export class MigrationService extends Construct {
  readonly service: FargateService;
  readonly taskDefinition: FargateTaskDefinition;
  readonly container: ContainerDefinition;

  constructor(scope: Construct, id: string, props: MigrationServiceProps) {
    super(scope, id);
    const name = serviceName(props.stage, props.service);
    this.taskDefinition = new FargateTaskDefinition(this, 'Task', {
      family: name,
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      ephemeralStorageGiB: props.ephemeralStorageGiB && props.ephemeralStorageGiB > 21 ? props.ephemeralStorageGiB : undefined,
      runtimePlatform: { cpuArchitecture: CpuArchitecture.X86_64, operatingSystemFamily: OperatingSystemFamily.LINUX },
    });
    for (const s of props.statements) this.taskDefinition.addToTaskRolePolicy(s);
    const logGroup = migrationLogGroup(this, 'Logs', { logGroupName: logGroupName(props.stage, props.service), retentionDays: props.logRetentionDays, removal: props.logRemoval, encryptionKey: props.logEncryptionKey });
    const shell = props.operatorShell ?? false;
    this.container = this.taskDefinition.addContainer('Container', {
      containerName: props.service,
      image: props.image,
      command: props.command,
      environment: props.environment,
      secrets: props.secrets,
      essential: true,
      readonlyRootFilesystem: !shell,
      logging: LogDrivers.awsLogs({ logGroup, streamPrefix: props.service }),
      stopTimeout: Duration.seconds(60),
      portMappings: props.portMappings,
    });
    if (!shell) {
      this.taskDefinition.addVolume({ name: 'scratch' });
      this.container.addMountPoints({ sourceVolume: 'scratch', containerPath: SCRATCH_PATH, readOnly: false });
    }
    this.service = new FargateService(this, 'Service', {
      serviceName: name,
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: props.desiredCount ?? 0,
      minHealthyPercent: props.desiredCount ? 100 : 0,
      maxHealthyPercent: 200,
      vpcSubnets: props.subnets,
      securityGroups: [props.securityGroup],
      assignPublicIp: false,
      enableExecuteCommand: shell,
      circuitBreaker: { rollback: true },
      healthCheckGracePeriod: props.healthCheckGracePeriod,
    });
  }
}
