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

/** The HTTP permissions SigV4 requests to an OpenSearch domain or collection need. */
export function sigv4Statements(stack: Stack, cluster: ClusterConfig): PolicyStatement[] {
  const auth = cluster.auth;
  if (auth.type !== 'sigv4') return [];
  if (auth.serviceSigningName === 'aoss') {
    return [new PolicyStatement({ actions: ['aoss:APIAccessAll'], resources: [`arn:${stack.partition}:aoss:${auth.region}:${stack.account}:collection/*`] })];
  }
  return [new PolicyStatement({ actions: ['es:ESHttp*'], resources: [`arn:${stack.partition}:es:${auth.region}:${stack.account}:domain/*`] })];
}

export function sigv4Arg(cluster: ClusterConfig): string | undefined {
  return cluster.auth.type === 'sigv4' ? `${cluster.auth.serviceSigningName},${cluster.auth.region}` : undefined;
}
