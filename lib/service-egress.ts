import { IPeer, ISecurityGroup, Peer, Port } from 'aws-cdk-lib/aws-ec2';
import { endpointParts, ipv4Host, isVpcDomainEndpoint } from './cluster-endpoint';

/** The MSK broker port for SASL/IAM over TLS. */
export const MSK_IAM_PORT = 9098;

/**
 * Where a service reaches a cluster: the address itself, the VPC for a managed domain's VPC
 * endpoint (its addresses change), else anywhere (a public endpoint, through NAT), on its port only.
 */
export function clusterPeer(endpoint: string, vpcCidr: string | undefined): { peer: IPeer; port: Port; description: string } {
  const { host, port } = endpointParts(endpoint);
  const ip = ipv4Host(endpoint);
  const peer = ip ? Peer.ipv4(`${ip}/32`) : isVpcDomainEndpoint(endpoint) && vpcCidr ? Peer.ipv4(vpcCidr) : Peer.anyIpv4();
  return { peer, port: Port.tcp(port), description: `cluster ${host}:${port}` };
}

export interface ServiceEgress {
  /** MSK's group: the brokers' SASL/IAM port. Left out for tasks that never talk to Kafka. */
  msk?: ISecurityGroup;
  /** The VPC's interface endpoints (HTTPS); without them (an imported VPC), HTTPS anywhere. */
  endpoints?: ISecurityGroup;
  /** S3's prefix list (the gateway endpoint's destinations). */
  s3PrefixListId?: string;
  /** Each endpoint's port at the place clusterPeer names. */
  clusterEndpoints: string[];
  vpcCidr?: string;
}

/**
 * The only ways out of a migration service's group: MSK, AWS APIs (VPC endpoints, S3), the clusters.
 * Rules towards groups of other stacks go through `connections`, which places the far side's rule
 * in this group's stack (no reference cycle).
 */
export function allowServiceEgress(group: ISecurityGroup, to: ServiceEgress): void {
  if (to.msk) group.connections.allowTo(to.msk, Port.tcp(MSK_IAM_PORT), 'MSK, SASL/IAM over TLS');
  if (to.endpoints) group.connections.allowTo(to.endpoints, Port.tcp(443), 'AWS APIs through the VPC endpoints');
  // An imported VPC reaches AWS APIs through endpoints or NAT that this app does not know: HTTPS only.
  else group.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'AWS APIs (through the imported VPC\'s endpoints or NAT)');
  if (to.s3PrefixListId) group.addEgressRule(Peer.prefixList(to.s3PrefixListId), Port.tcp(443), 'S3 through the gateway endpoint (image layers, artifacts)');
  const rules = new Map(to.clusterEndpoints.map((e) => clusterPeer(e, to.vpcCidr)).map((r) => [`${r.peer.uniqueId}:${r.port.toString()}`, r]));
  for (const r of rules.values()) group.addEgressRule(r.peer, r.port, r.description);
}
