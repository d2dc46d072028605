import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError, UserError } from './errors';

/** Reads one secret's string; errors name the ARN and the AWS error, never the value. */
export type SecretReader = (arn: string) => Promise<string>;

function regionOfArn(arn: string): string | undefined {
  return /^arn:aws[\w-]*:secretsmanager:([\w-]+):/.exec(arn)?.[1];
}

/** Secrets Manager, in the secret's own region (from its ARN), else the env's AWS_REGION. */
export function secretsManagerReader(env: NodeJS.ProcessEnv): SecretReader {
  return async (arn) => {
    const sm = new SecretsManagerClient({ region: regionOfArn(arn) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION });
    try {
      const out = await sm.send(new GetSecretValueCommand({ SecretId: arn }));
      return out.SecretString ?? '';
    } catch (err) {
      throw new UserError('SECRET_UNREADABLE', `cannot read secret ${arn}: ${(err as Error).name}: ${(err as Error).message}`);
    } finally {
      sm.destroy();
    }
  };
}

/** A password secret is the password itself, or JSON with a "password" field. */
export async function readPasswordSecret(arn: string, read: SecretReader): Promise<string> {
  const text = await read(arn);
  try {
    const parsed = JSON.parse(text);
    if (typeof parsed?.password === 'string') return parsed.password;
  } catch {
    /* a plain string */
  }
  return text;
}

/** A basic-auth secret holds {"username": ..., "password": ...}, as the reference expects. */
export async function readUserSecret(arn: string, read: SecretReader): Promise<{ username: string; password: string }> {
  const text = await read(arn);
  let parsed: any;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* reported below, without the text */
  }
  if (typeof parsed?.username !== 'string' || typeof parsed?.password !== 'string') {
    throw new ConfigError(`secret ${arn} must be JSON with string "username" and "password" fields`);
  }
  return { username: parsed.username, password: parsed.password };
}
