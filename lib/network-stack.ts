import { Stack, StackProps } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  IpAddresses,
  ISecurityGroup,
  IVpc,
  SecurityGroup,
  SubnetSelection,
  SubnetType,
  Vpc,
  Subnet,
} from 'aws-cdk-lib/aws-ec2';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { LogEncryption, NetworkConfig, Removal } from './config';
import { logEncryptionKey } from './log-key';
import { migrationLogGroup } from './log-retention';
import { logGroupName } from './naming';
import { allowServiceEgress } from './service-egress';

export interface NetworkStackProps extends StackProps {
  stage: string;
  network: NetworkConfig;
  logRetentionDays: number;
  logRemoval: Removal;
  logEncryption: LogEncryption;
  /** The source and target endpoints: the services may reach their ports, and nothing else beyond the VPC. */
  clusterEndpoints: string[];
  /** Adds the Elastic Load Balancing API endpoint (the console routes the proxy fleet's listener). @default false */
  loadBalancingEndpoint?: boolean;
}

/**
 * A new VPC (private subnets reach AWS through VPC endpoints, the outside through NAT) or the
 * user's VPC imported without lookups, plus the security groups the other stacks share.
 */
export class NetworkStack extends Stack {
  readonly vpc: IVpc;
  /** The private subnets MSK and the services run in: one per AZ. */
  readonly subnets: SubnetSelection;
  /** Attached to every migration service; attach it to the source's coordinator nodes too. */
  readonly serviceSecurityGroup: ISecurityGroup;
  readonly mskSecurityGroup: ISecurityGroup;
  /** The interface endpoints' group (a new VPC only). */
  readonly endpointSecurityGroup?: ISecurityGroup;
  /** The VPC's CIDR as configured (a literal, so that rules naming it can be checked at synth); unknown for an imported VPC without vpcCidr. */
  readonly vpcCidr?: string;
  /** True when this stack made the VPC with its endpoints (S3 through a gateway: the infra stack opens its prefix list). */
  readonly hasEndpoints: boolean;
  /** The log groups' KMS key (context logEncryptionKey), when there is one. */
  readonly logKey?: IKey;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const n = props.network;
    this.logKey = logEncryptionKey(this, props.stage, props.logEncryption, props.logRemoval);
    this.vpcCidr = n.kind === 'new' ? n.cidr : n.vpcCidr;
    this.hasEndpoints = n.kind === 'new';
    if (n.kind === 'new') {
      const vpc = new Vpc(this, 'Vpc', {
        ipAddresses: IpAddresses.cidr(n.cidr),
        availabilityZones: n.availabilityZones,
        natGateways: n.natGateways,
        subnetConfiguration: [
          { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
          { name: 'private', subnetType: n.natGateways > 0 ? SubnetType.PRIVATE_WITH_EGRESS : SubnetType.PRIVATE_ISOLATED, cidrMask: 22 },
        ],
        flowLogs: {
          all: {
            destination: FlowLogDestination.toCloudWatchLogs(
              migrationLogGroup(this, 'FlowLogs', { logGroupName: logGroupName(props.stage, 'vpc-flow-logs'), retentionDays: props.logRetentionDays, removal: props.logRemoval, encryptionKey: this.logKey }),
            ),
          },
        },
      });
      this.vpc = vpc;
      this.subnets = { subnetGroupName: 'private' };
    } else {
      this.vpc = Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: n.vpcId,
        vpcCidrBlock: n.vpcCidr,
        availabilityZones: n.subnets.map((s) => s.availabilityZone),
        privateSubnetIds: n.subnets.map((s) => s.subnetId),
      });
      this.subnets = { subnets: n.subnets.map((s, i) => Subnet.fromSubnetAttributes(this, `Subnet${i}`, { subnetId: s.subnetId, availabilityZone: s.availabilityZone })) };
    }

    this.serviceSecurityGroup = new SecurityGroup(this, 'ServiceAccess', {
      vpc: this.vpc,
      securityGroupName: `migration-${props.stage}-service-access`,
      description: 'Migration services and capture-proxy nodes: may reach MSK, the clusters and AWS APIs',
      allowAllOutbound: false,
    });
    this.mskSecurityGroup = new SecurityGroup(this, 'MskAccess', {
      vpc: this.vpc,
      securityGroupName: `migration-${props.stage}-msk`,
      description: 'MSK brokers: SASL/IAM over TLS from the migration services and capture proxies',
      allowAllOutbound: false,
    });
    if (this.vpc instanceof Vpc) this.endpointSecurityGroup = this.addEndpoints(this.vpc, props.stage, props.loadBalancingEndpoint ?? false);
    allowServiceEgress(this.serviceSecurityGroup, { msk: this.mskSecurityGroup, endpoints: this.endpointSecurityGroup, clusterEndpoints: props.clusterEndpoints, vpcCidr: this.vpcCidr });
  }

  /** Interface endpoints behind one security group that only the services may reach; S3 through a gateway. */
  private addEndpoints(vpc: Vpc, stage: string, loadBalancing: boolean): ISecurityGroup {
    const subnets = { subnetGroupName: 'private' };
    vpc.addGatewayEndpoint('S3', { service: GatewayVpcEndpointAwsService.S3, subnets: [subnets] });
    const endpointSecurityGroup = new SecurityGroup(this, 'EndpointAccess', {
      vpc,
      securityGroupName: `migration-${stage}-endpoints`,
      description: 'Interface endpoints of AWS APIs: HTTPS from the migration services only',
      allowAllOutbound: false,
    });
    const services: Record<string, InterfaceVpcEndpointAwsService> = {
      EcrApi: InterfaceVpcEndpointAwsService.ECR,
      EcrDocker: InterfaceVpcEndpointAwsService.ECR_DOCKER,
      Logs: InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
      Monitoring: InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
      Ssm: InterfaceVpcEndpointAwsService.SSM,
      SsmMessages: InterfaceVpcEndpointAwsService.SSM_MESSAGES,
      SecretsManager: InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      Ecs: InterfaceVpcEndpointAwsService.ECS,
      ...(loadBalancing ? { ElasticLoadBalancing: InterfaceVpcEndpointAwsService.ELASTIC_LOAD_BALANCING } : {}),
    };
    for (const [id, service] of Object.entries(services)) vpc.addInterfaceEndpoint(id, { service, subnets, securityGroups: [endpointSecurityGroup], open: false });
    return endpointSecurityGroup;
  }
}
