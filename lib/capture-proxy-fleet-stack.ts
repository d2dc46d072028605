import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import { ISecurityGroup, Peer, Port, SecurityGroup, SubnetType } from 'aws-cdk-lib/aws-ec2';
import {
  ApplicationListener,
  ApplicationLoadBalancer,
  ApplicationProtocol,
  ApplicationTargetGroup,
  IApplicationLoadBalancerTarget,
  ListenerAction,
  ListenerCertificate,
  SslPolicy,
  TargetType,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { IpTarget } from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { IBucket } from 'aws-cdk-lib/aws-s3';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { endpointParts, ipv4Host } from './cluster-endpoint';
import { ClusterConfig, KAFKA_TOPIC, MigrationConfig } from './config';
import { captureProducerStatements } from './kafka-arns';
import { MigrationService } from './migration-service';
import { ServiceId } from './naming';
import { allowServiceEgress } from './service-egress';
import { ServiceStackProps, sharedServiceProps } from './service-stack-props';

/** Where the proxies (and forwarders) listen for the load balancer, and serve /metrics for its health checks. */
export const FLEET_PORT = 9200;
export const FLEET_HEALTH_PORT = 9201;

/** The three ways the listener may send a client's request. */
export type Route = 'proxy' | 'source' | 'target';

export interface CaptureProxyFleetStackProps extends ServiceStackProps {
  /** The VPC's interface endpoints (a new VPC), and S3's prefix list behind its gateway endpoint. */
  endpointSecurityGroup?: ISecurityGroup;
  s3PrefixListId?: string;
  mskSecurityGroup: ISecurityGroup;
  /** The VPC's CIDR, when known as a literal. */
  vpcCidr?: string;
  /** Access logs go to alb-access-logs/<stage>/ in it. */
  artifactsBucket: IBucket;
}

/** The fleet's proxy command line: capture to MSK with IAM, forward to the source, metrics for the health check. */
export function fleetProxyCommand(config: MigrationConfig, brokers: string): string[] {
  const s = config.sourceCluster;
  return [
    'capture-proxy',
    '--destinationUri', s.endpoint,
    '--listenPort', String(FLEET_PORT),
    '--kafkaConnection', brokers,
    '--kafkaTopic', KAFKA_TOPIC,
    '--enableMSKAuth',
    '--metricsPort', String(FLEET_HEALTH_PORT),
    // The proxy frames requests as the source's HTTP server does.
    ...(s.version && /^(ES|OS)_/i.test(s.version) ? ['--sourceVersion', s.version] : []),
    ...(s.allowInsecure ? ['--insecureDestination'] : []),
    ...config.captureProxyService.extraArgs,
  ];
}

/** A forwarder: the same proxy, recording nothing, so that the listener can reach a cluster it cannot name by address. */
export function forwarderCommand(cluster: ClusterConfig): string[] {
  return ['capture-proxy', '--destinationUri', cluster.endpoint, '--listenPort', String(FLEET_PORT), '--noCapture', '--metricsPort', String(FLEET_HEALTH_PORT), ...(cluster.allowInsecure ? ['--insecureDestination'] : [])];
}

/** RFC 1918 and RFC 6598 ranges: the only addresses outside the VPC an ALB may target (through peering or a transit gateway). */
function isPrivateAddress(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number);
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = (s: string) => s.split('.').reduce((v, o) => v * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(n(ip) / size) === Math.floor(n(base) / size);
}

/**
 * The capture proxy as a Fargate fleet behind an Application Load Balancer. The HTTPS listener
 * weights three target groups: the proxies (capture, then the source), the source itself and the
 * target (the console's `traffic route` moves the weights; it starts at 100% proxy). A cluster the
 * load balancer can name by a private address is its own target; any other (a managed domain's
 * endpoint, whose addresses change, or a public one) is reached through a forwarder: the same
 * proxy with --noCapture. Health checks ask each proxy's /metrics, so that a slow source never
 * makes ECS replace the proxies.
 */
export class CaptureProxyFleetStack extends Stack {
  readonly loadBalancer: ApplicationLoadBalancer;
  readonly listener: ApplicationListener;
  readonly targetGroups: Record<Route, ApplicationTargetGroup>;
  readonly proxy: MigrationService;
  /** Forwarders to the source and target, where needed. */
  readonly forwarders: Partial<Record<'source' | 'target', MigrationService>> = {};
  /** https://<load balancer>:<port>, the endpoint clients move to. */
  readonly endpoint: string;

  private readonly fleetSecurityGroup: SecurityGroup;
  private readonly lbSecurityGroup: SecurityGroup;

  private readonly props: CaptureProxyFleetStackProps;

  constructor(scope: Construct, id: string, props: CaptureProxyFleetStackProps) {
    super(scope, id, props);
    this.props = props;
    const { config } = props;
    const fleet = config.captureProxyService;
    const stage = config.stage;

    this.lbSecurityGroup = new SecurityGroup(this, 'LoadBalancerAccess', {
      vpc: props.vpc,
      securityGroupName: `migration-${stage}-proxy-lb`,
      description: 'Proxy fleet load balancer: HTTPS from the clients, out to its targets only',
      allowAllOutbound: false,
    });
    for (const cidr of fleet.clientCidrs) this.lbSecurityGroup.addIngressRule(Peer.ipv4(cidr), Port.tcp(fleet.listenerPort), `clients in ${cidr}`);
    this.fleetSecurityGroup = new SecurityGroup(this, 'FleetAccess', {
      vpc: props.vpc,
      securityGroupName: `migration-${stage}-proxy-fleet`,
      description: 'Capture proxies and forwarders: from the load balancer; out to MSK, AWS APIs and the clusters',
      allowAllOutbound: false,
    });
    allowServiceEgress(this.fleetSecurityGroup, {
      msk: props.mskSecurityGroup,
      endpoints: props.endpointSecurityGroup,
      s3PrefixListId: props.s3PrefixListId,
      clusterEndpoints: [config.sourceCluster.endpoint, config.targetCluster.endpoint],
      vpcCidr: props.vpcCidr,
    });

    const brokers = StringParameter.valueForStringParameter(this, props.kafkaBrokersParameterName);
    this.proxy = this.fleetService('CaptureProxy', 'capture-proxy', fleetProxyCommand(config, brokers), captureProducerStatements(props.kafkaArns));

    this.loadBalancer = new ApplicationLoadBalancer(this, 'LoadBalancer', {
      loadBalancerName: `migration-${stage}-proxy`,
      vpc: props.vpc,
      internetFacing: fleet.internetFacing,
      vpcSubnets: fleet.internetFacing ? { subnetType: SubnetType.PUBLIC } : props.subnets,
      securityGroup: this.lbSecurityGroup,
      // Search requests may wait long for their first byte (scrolls, large aggregations); clients talking to the source directly have no such limit.
      idleTimeout: Duration.seconds(3600),
      // Kept as sent: the source decides what a header name may be (underscores included), as it did before the load balancer.
      dropInvalidHeaderFields: false,
    });
    this.loadBalancer.logAccessLogs(props.artifactsBucket, `alb-access-logs/${stage}`);

    this.targetGroups = {
      proxy: this.fleetTargetGroup('Proxy', this.proxy.service.loadBalancerTarget({ containerName: 'capture-proxy', containerPort: FLEET_PORT })),
      source: this.clusterTargetGroup('source', config.sourceCluster),
      target: this.clusterTargetGroup('target', config.targetCluster),
    };

    this.listener = this.loadBalancer.addListener('Clients', {
      port: fleet.listenerPort,
      protocol: ApplicationProtocol.HTTPS,
      certificates: [ListenerCertificate.fromArn(fleet.certificateArn)],
      sslPolicy: SslPolicy.RECOMMENDED_TLS,
      // Ingress is the client CIDRs above, nothing wider.
      open: false,
      defaultAction: ListenerAction.weightedForward([
        { targetGroup: this.targetGroups.proxy, weight: 100 },
        { targetGroup: this.targetGroups.source, weight: 0 },
        { targetGroup: this.targetGroups.target, weight: 0 },
      ]),
    });
    this.endpoint = `https://${this.loadBalancer.loadBalancerDnsName}:${fleet.listenerPort}`;

    new CfnOutput(this, 'ClientEndpoint', { value: this.endpoint, description: 'Point clients here (with a DNS name that the listener certificate covers)' });
    new CfnOutput(this, 'ListenerArn', { value: this.listener.listenerArn, description: 'migration-console traffic route|status changes and reads its weights' });
  }

  private fleetService(id: string, service: ServiceId, command: string[], statements: PolicyStatement[]): MigrationService {
    const { config } = this.props;
    const fleet = config.captureProxyService;
    const s = new MigrationService(this, id, {
      ...sharedServiceProps(this.props),
      service,
      securityGroup: this.fleetSecurityGroup,
      command,
      cpu: fleet.cpu,
      memoryMiB: fleet.memoryMiB,
      desiredCount: fleet.desiredCount,
      statements,
      portMappings: [{ containerPort: FLEET_PORT }, { containerPort: FLEET_HEALTH_PORT }],
      healthCheckGracePeriod: Duration.seconds(60),
    });
    // The traffic port is opened when the target group joins the listener; the health check's port here.
    this.lbSecurityGroup.connections.allowTo(s.service, Port.tcp(FLEET_HEALTH_PORT), 'health checks (/metrics)');
    return s;
  }

  /** Fleet tasks: plain HTTP inside the VPC, healthy while the proxy process answers /metrics. */
  private fleetTargetGroup(id: string, target: IApplicationLoadBalancerTarget): ApplicationTargetGroup {
    return new ApplicationTargetGroup(this, id, {
      vpc: this.props.vpc,
      targetType: TargetType.IP,
      protocol: ApplicationProtocol.HTTP,
      port: FLEET_PORT,
      targets: [target],
      // In-flight requests finish before a task stops (the proxy itself drains for 30 s on SIGTERM).
      deregistrationDelay: Duration.seconds(60),
      healthCheck: { port: String(FLEET_HEALTH_PORT), path: '/metrics', healthyHttpCodes: '200', interval: Duration.seconds(15), healthyThresholdCount: 2, unhealthyThresholdCount: 3 },
    });
  }

  /** The source or target: by its private address when it has one, else through a forwarder. */
  private clusterTargetGroup(side: 'source' | 'target', cluster: ClusterConfig): ApplicationTargetGroup {
    const ip = ipv4Host(cluster.endpoint);
    const id = side === 'source' ? 'Source' : 'Target';
    if (ip && isPrivateAddress(ip)) {
      const { scheme, port } = endpointParts(cluster.endpoint);
      const inVpc = this.props.vpcCidr !== undefined && inCidr(ip, this.props.vpcCidr);
      this.lbSecurityGroup.addEgressRule(Peer.ipv4(`${ip}/32`), Port.tcp(port), `${side} cluster ${ip}:${port}`);
      return new ApplicationTargetGroup(this, id, {
        vpc: this.props.vpc,
        targetType: TargetType.IP,
        protocol: scheme === 'https' ? ApplicationProtocol.HTTPS : ApplicationProtocol.HTTP,
        port,
        targets: [new IpTarget(ip, port, inVpc ? undefined : 'all')],
        deregistrationDelay: Duration.seconds(60),
        // Any HTTP answer (401 without credentials included) means the node is up.
        healthCheck: { path: '/', healthyHttpCodes: '200-499', interval: Duration.seconds(15), healthyThresholdCount: 2, unhealthyThresholdCount: 3 },
      });
    }
    const forwarder = this.fleetService(`${id}Forwarder`, `${side}-forwarder`, forwarderCommand(cluster), []);
    this.forwarders[side] = forwarder;
    return this.fleetTargetGroup(id, forwarder.service.loadBalancerTarget({ containerName: `${side}-forwarder`, containerPort: FLEET_PORT }));
  }
}
