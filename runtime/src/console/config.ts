import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError } from '../core/errors';
import { loadServicesYaml, parseServicesYaml, ServicesYaml } from '../core/services-yaml';

export const DEFAULT_SERVICES_YAML = '/config/migration_services.yaml';

export interface ConfigSource {
  /** A services.yaml file. */
  file?: string;
  /** An SSM parameter holding services.yaml, as the CDK app writes it: /migration/<stage>/<deployId>/servicesYamlFile. */
  ssmParameter?: string;
  region?: string;
  /** services.yaml content itself (the ECS task gets it from SSM as the MIGRATION_SERVICES_YAML secret). */
  content?: string;
}

/** Reads services.yaml: given content first, then an SSM parameter, then the file. */
export async function loadConsoleConfig(source: ConfigSource): Promise<ServicesYaml> {
  if (source.content) return parseServicesYaml(source.content, 'MIGRATION_SERVICES_YAML');
  if (source.ssmParameter) {
    const ssm = new SSMClient({ region: source.region ?? process.env.AWS_REGION });
    try {
      const out = await ssm.send(new GetParameterCommand({ Name: source.ssmParameter, WithDecryption: true }));
      return parseServicesYaml(out.Parameter?.Value ?? '', `SSM parameter ${source.ssmParameter}`);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(`cannot read SSM parameter ${source.ssmParameter}: ${(err as Error).name}: ${(err as Error).message}`);
    } finally {
      ssm.destroy();
    }
  }
  return loadServicesYaml(source.file ?? DEFAULT_SERVICES_YAML);
}
