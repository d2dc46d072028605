import { Stack, StackProps } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  IpAddresses,
  ISecurityGroup,
  IVpc,
  Peer,
  Port,
  SecurityGroup,
  SubnetSelection,
  SubnetType,
  Vpc,
  Subnet,
} from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { NetworkConfig, Removal } from './config';
import { migrationLogGroup } from './log-retention';
import { logGroupName } from './naming';

export interface NetworkStackProps extends StackProps {
  stage: string;
  network: NetworkConfig;
  logRetentionDays: number;
  logRemoval: Removal;
}

/** The MSK broker port for SASL/IAM over TLS. */
export const MSK_IAM_PORT = 9098;

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

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const n = props.network;
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
              migrationLogGroup(this, 'FlowLogs', { logGroupName: logGroupName(props.stage, 'vpc-flow-logs'), retentionDays: props.logRetentionDays, removal: props.logRemoval }),
            ),
          },
        },
      });
      this.vpc = vpc;
      this.subnets = { subnetGroupName: 'private' };
      this.addEndpoints(vpc);
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
      description: 'Migration services and capture-proxy nodes: may reach MSK',
      allowAllOutbound: true,
    });
    this.mskSecurityGroup = new SecurityGroup(this, 'MskAccess', {
      vpc: this.vpc,
      securityGroupName: `migration-${props.stage}-msk`,
      description: 'MSK brokers: SASL/IAM over TLS from the migration services and capture proxies',
      allowAllOutbound: false,
    });
    this.mskSecurityGroup.addIngressRule(Peer.securityGroupId(this.serviceSecurityGroup.securityGroupId), Port.tcp(MSK_IAM_PORT), 'Kafka clients with IAM auth');
  }

  private addEndpoints(vpc: Vpc): void {
    const subnets = { subnetGroupName: 'private' };
    vpc.addGatewayEndpoint('S3', { service: GatewayVpcEndpointAwsService.S3, subnets: [subnets] });
    const services: Record<string, InterfaceVpcEndpointAwsService> = {
      EcrApi: InterfaceVpcEndpointAwsService.ECR,
      EcrDocker: InterfaceVpcEndpointAwsService.ECR_DOCKER,
      Logs: InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
      Monitoring: InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
      Ssm: InterfaceVpcEndpointAwsService.SSM,
      SsmMessages: InterfaceVpcEndpointAwsService.SSM_MESSAGES,
      SecretsManager: InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      Ecs: InterfaceVpcEndpointAwsService.ECS,
    };
    for (const [id, service] of Object.entries(services)) vpc.addInterfaceEndpoint(id, { service, subnets });
  }
}
