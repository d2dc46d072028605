import { Stack } from 'aws-cdk-lib';
import { Secret as EcsSecret } from 'aws-cdk-lib/aws-ecs';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ClusterConfig } from './config';

/** A secret by ARN; a partial ARN (without Secrets Manager's 6-character suffix) is accepted. */
export function importSecret(scope: Construct, id: string, arn: string): ISecret {
  return /-[A-Za-z0-9]{6}$/.test(arn) ? Secret.fromSecretCompleteArn(scope, id, arn) : Secret.fromSecretPartialArn(scope, id, arn);
}

export interface ClusterCredentials {
  /** Command-line arguments (the username only; never a password). */
  args: string[];
  /** Environment variables the task gets from Secrets Manager when it starts. */
  secrets: Record<string, EcsSecret>;
  /** Secrets the task reads. */
  imported: ISecret[];
}

/**
 * Basic-auth credentials for a service: the username as `usernameFlag`, the password through
 * the environment variable `passwordEnv`, filled by ECS from Secrets Manager.
 */
export function basicAuthCredentials(scope: Construct, id: string, cluster: ClusterConfig, usernameFlag: string, usernameEnv: string, passwordEnv: string): ClusterCredentials {
  const auth = cluster.auth;
  if (auth.type !== 'basic') return { args: [], secrets: {}, imported: [] };
  if ('userSecretArn' in auth) {
    const secret = importSecret(scope, id, auth.userSecretArn);
    return { args: [], secrets: { [usernameEnv]: EcsSecret.fromSecretsManager(secret, 'username'), [passwordEnv]: EcsSecret.fromSecretsManager(secret, 'password') }, imported: [secret] };
  }
  const secret = importSecret(scope, id, auth.passwordSecretArn);
  return { args: [usernameFlag, auth.username], secrets: { [passwordEnv]: EcsSecret.fromSecretsManager(secret) }, imported: [secret] };
}

/** The HTTP verbs of the OpenSearch Service data plane, named one by one (not es:ESHttp*). */
export const ES_HTTP_ACTIONS = ['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost', 'es:ESHttpPut', 'es:ESHttpDelete', 'es:ESHttpPatch'];

/**
 * The HTTP permissions SigV4 requests to the cluster's domain or collection need: that one only
 * (named by its endpoint or the context), every one of the region only when the context says "*".
 */
export function sigv4Statements(stack: Stack, cluster: ClusterConfig): PolicyStatement[] {
  const auth = cluster.auth;
  if (auth.type !== 'sigv4') return [];
  const name = auth.resourceName;
  if (auth.serviceSigningName === 'aoss') {
    return [new PolicyStatement({ actions: ['aoss:APIAccessAll'], resources: [`arn:${stack.partition}:aoss:${auth.region}:${stack.account}:collection/${name}`] })];
  }
  const domain = `arn:${stack.partition}:es:${auth.region}:${stack.account}:domain/${name}`;
  return [new PolicyStatement({ actions: ES_HTTP_ACTIONS, resources: name === '*' ? [domain] : [domain, `${domain}/*`] })];
}

export function sigv4Arg(cluster: ClusterConfig): string | undefined {
  return cluster.auth.type === 'sigv4' ? `${cluster.auth.serviceSigningName},${cluster.auth.region}` : undefined;
}
