/*
 * What a cluster's endpoint URL says about where the cluster is: its port, whether its host is an
 * IP address, and the Amazon OpenSearch Service domain or Serverless collection it names.
 * Pure functions: the context check and the stacks read endpoints the same way.
 */

export interface EndpointParts {
  scheme: 'http' | 'https';
  host: string;
  port: number;
}

export function endpointParts(endpoint: string): EndpointParts {
  const url = new URL(endpoint);
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  return { scheme, host: url.hostname, port: url.port ? Number(url.port) : scheme === 'https' ? 443 : 80 };
}

/** The host when it is an IPv4 address (a node the load balancer and security groups can name). */
export function ipv4Host(endpoint: string): string | undefined {
  const host = hostOf(endpoint);
  return /^(\d{1,3})(\.\d{1,3}){3}$/.test(host) && host.split('.').every((o) => Number(o) <= 255) ? host : undefined;
}

// vpc-<domain>-<id>.<region>.es.amazonaws.com (or .com.cn), search-<domain>-<id>...; the dual-stack form <...>.aos.<region>.on.aws.
const DOMAIN_HOST = /^(?:vpc|search)-([a-z][a-z0-9-]{2,27})-[a-z0-9]+\.(?:[a-z]{2}(?:-[a-z]+)+-\d\.es\.amazonaws\.com(?:\.cn)?|aos\.[a-z]{2}(?:-[a-z]+)+-\d\.on\.aws)$/;
const COLLECTION_HOST = /^([a-z0-9]+)\.[a-z]{2}(?:-[a-z]+)+-\d\.aoss\.amazonaws\.com$/;

function hostOf(endpoint: string): string {
  try {
    return endpointParts(endpoint).host;
  } catch {
    return '';
  }
}

/** The domain name an Amazon OpenSearch Service endpoint names, e.g. "target" for vpc-target-abc123.us-east-1.es.amazonaws.com. */
export function domainOfEndpoint(endpoint: string): string | undefined {
  return DOMAIN_HOST.exec(hostOf(endpoint))?.[1];
}

/** The collection id an OpenSearch Serverless endpoint names (<id>.<region>.aoss.amazonaws.com). */
export function collectionOfEndpoint(endpoint: string): string | undefined {
  return COLLECTION_HOST.exec(hostOf(endpoint))?.[1];
}

/** A VPC endpoint of a managed domain: its addresses are in the VPC (they change with the domain's blue/green deployments). */
export function isVpcDomainEndpoint(endpoint: string): boolean {
  return hostOf(endpoint).startsWith('vpc-') && domainOfEndpoint(endpoint) !== undefined;
}
