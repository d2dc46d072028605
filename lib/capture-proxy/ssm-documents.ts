import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Arch, ARCHES } from './release/executable';
import { releaseName, releaseTarballName } from './release/release-tarball';

/* The SSM Command documents and the EC2 user data that install and remove the capture proxy:
 * each embeds the real bash scripts of ./scripts, which tests run against a fake node. */

export const INSTALL_SCRIPT = path.join(__dirname, 'scripts', 'install-capture-proxy.sh');
export const REMOVE_SCRIPT = path.join(__dirname, 'scripts', 'remove-capture-proxy.sh');
const COMMON_SCRIPT = path.join(__dirname, 'scripts', 'node-common.sh');
/** The line by which a script sources node-common.sh; documents carry the file itself instead. */
const SOURCE_COMMON = 'source "$(dirname "${BASH_SOURCE[0]}")/node-common.sh"';
const DOWNLOAD_DIR = '/var/lib/capture-proxy/download';
const SCRIPT_END = 'CAPTURE_PROXY_SCRIPT_END';

export interface InstallOptions {
  /** s3.<region>.amazonaws.com URLs of the release tarballs (SSM's aws:downloadContent form), by CPU. */
  artifactUrls: Record<Arch, string>;
  /** The region of MSK (IAM auth signs for it). */
  region: string;
  /** The SSM parameter with the brokers: SSM resolves it when the command runs. */
  kafkaBrokersParameterName: string;
  kafkaTopic: string;
  listenPort: number;
  nodePort: number;
  destinationScheme: 'http' | 'https';
  insecureDestination: boolean;
  extraArgs: string[];
}

/** A script as the documents carry it: node-common.sh inlined where the file sources it. */
export function embeddedScript(file: string): string {
  const text = readFileSync(file, 'utf8').replace(SOURCE_COMMON, () => readFileSync(COMMON_SCRIPT, 'utf8').trimEnd());
  if (text.includes('{{') || text.includes(SCRIPT_END)) throw new Error(`${file} must not contain "{{" (SSM parameter syntax) or ${SCRIPT_END}`);
  return text;
}

/** Shell lines that write `file`'s script to `dest` and run it with bash under `env`. */
function runScriptLines(file: string, dest: string, env: Record<string, string>): string[] {
  const exports = Object.entries(env).map(([k, v]) => `export ${k}='${v}'`);
  return ['set -e', `mkdir -p ${path.posix.dirname(dest)}`, `cat > ${dest} <<'${SCRIPT_END}'`, ...embeddedScript(file).trimEnd().split('\n'), SCRIPT_END, ...exports, `exec bash ${dest}`];
}

const PORT = '^[0-9]{1,5}$';
const FILE = '^(/[A-Za-z0-9._/-]+)?$';
const NAME = '^[A-Za-z0-9@._-]*$';
const ARGS = '^[A-Za-z0-9 ._:=,/@+-]*$';

function nodeParameters() {
  return {
    nodeConfig: { type: 'String', default: '', allowedPattern: FILE, description: 'elasticsearch.yml or opensearch.yml of the node; empty: found under /etc' },
    nodeService: { type: 'String', default: '', allowedPattern: NAME, description: 'systemd unit of the node; empty: elasticsearch or opensearch, from the config file' },
  };
}

/** InstallCaptureProxy: node to nodePort, proxy on listenPort; rolls back on failure. */
export function installDocumentContent(o: InstallOptions): Record<string, unknown> {
  return {
    schemaVersion: '2.2',
    description: 'Installs the Migration Assistant capture proxy on a coordinator node: moves the node to nodePort, runs the proxy on listenPort (recording to MSK with IAM auth), checks both ports, rolls back on failure.',
    parameters: {
      kafkaBrokers: {
        type: 'String',
        default: `{{ssm:${o.kafkaBrokersParameterName}}}`,
        allowedPattern: '^(\\{\\{ssm:[A-Za-z0-9/._-]+\\}\\}|[A-Za-z0-9.:,_-]+)$',
        description: 'MSK bootstrap brokers (SASL/IAM); default: the value this deployment stored in SSM',
      },
      listenPort: { type: 'String', default: String(o.listenPort), allowedPattern: PORT, description: 'The port clients use; the proxy takes it' },
      nodePort: { type: 'String', default: String(o.nodePort), allowedPattern: PORT, description: 'The port the node moves to' },
      destinationScheme: { type: 'String', default: o.destinationScheme, allowedValues: ['http', 'https'], description: 'How the proxy reaches the node' },
      insecureDestination: { type: 'String', default: String(o.insecureDestination), allowedValues: ['true', 'false'], description: 'Skip TLS verification towards the node' },
      extraArgs: { type: 'String', default: o.extraArgs.join(' '), allowedPattern: ARGS, description: 'More capture-proxy arguments' },
      ...nodeParameters(),
    },
    mainSteps: [
      // Both CPUs' releases (a Command document cannot branch); the script takes this node's.
      ...ARCHES.map((arch) => ({
        action: 'aws:downloadContent',
        name: `Download${releaseName(arch)}`,
        inputs: { sourceType: 'S3', sourceInfo: JSON.stringify({ path: o.artifactUrls[arch] }), destinationPath: `${DOWNLOAD_DIR}/${releaseName(arch)}` },
      })),
      {
        action: 'aws:runShellScript',
        name: 'InstallCaptureProxy',
        inputs: {
          timeoutSeconds: '900',
          runCommand: runScriptLines(INSTALL_SCRIPT, '/var/lib/capture-proxy/install-capture-proxy.sh', {
            ARTIFACT: DOWNLOAD_DIR,
            KAFKA_BROKERS: '{{ kafkaBrokers }}',
            KAFKA_TOPIC: o.kafkaTopic,
            ENABLE_MSK_AUTH: 'true',
            AWS_REGION: o.region,
            LISTEN_PORT: '{{ listenPort }}',
            NODE_PORT: '{{ nodePort }}',
            DESTINATION_SCHEME: '{{ destinationScheme }}',
            INSECURE_DESTINATION: '{{ insecureDestination }}',
            PROXY_EXTRA_ARGS: '{{ extraArgs }}',
            NODE_CONFIG: '{{ nodeConfig }}',
            NODE_SERVICE: '{{ nodeService }}',
          }),
        },
      },
    ],
  };
}

/** RemoveCaptureProxy: after cutover, gives listenPort back to the node and removes the unit. */
export function removeDocumentContent(listenPort: number): Record<string, unknown> {
  return {
    schemaVersion: '2.2',
    description: 'Removes the Migration Assistant capture proxy after cutover: stops and deletes its unit, gives listenPort back to the node, restarts the node and checks the port.',
    parameters: {
      listenPort: { type: 'String', default: String(listenPort), allowedPattern: PORT, description: 'The port the node takes back' },
      ...nodeParameters(),
    },
    mainSteps: [
      {
        action: 'aws:runShellScript',
        name: 'RemoveCaptureProxy',
        inputs: {
          timeoutSeconds: '600',
          runCommand: runScriptLines(REMOVE_SCRIPT, '/var/lib/capture-proxy/remove-capture-proxy.sh', {
            LISTEN_PORT: '{{ listenPort }}',
            NODE_CONFIG: '{{ nodeConfig }}',
            NODE_SERVICE: '{{ nodeService }}',
          }),
        },
      },
    ],
  };
}

export interface UserDataOptions extends Omit<InstallOptions, 'artifactUrls' | 'kafkaBrokersParameterName'> {
  /** s3://bucket/key of the release tarballs, by CPU. */
  artifactS3Uris: Record<Arch, string>;
  /** The brokers (a deploy-time value). */
  kafkaBrokers: string;
}

/** User data lines for a new coordinator node: fetch this CPU's release with the AWS CLI, then install. */
export function userDataLines(o: UserDataOptions): string[] {
  return [
    'set -euo pipefail',
    `mkdir -p ${DOWNLOAD_DIR}`,
    `case "$(uname -m)" in aarch64 | arm64) release_uri='${o.artifactS3Uris.arm64}'; release=${releaseTarballName('arm64')} ;; *) release_uri='${o.artifactS3Uris.x64}'; release=${releaseTarballName('x64')} ;; esac`,
    `aws s3 cp "$release_uri" "${DOWNLOAD_DIR}/$release"`,
    ...runScriptLines(INSTALL_SCRIPT, '/var/lib/capture-proxy/install-capture-proxy.sh', {
      ARTIFACT: DOWNLOAD_DIR,
      KAFKA_BROKERS: o.kafkaBrokers,
      KAFKA_TOPIC: o.kafkaTopic,
      ENABLE_MSK_AUTH: 'true',
      AWS_REGION: o.region,
      LISTEN_PORT: String(o.listenPort),
      NODE_PORT: String(o.nodePort),
      DESTINATION_SCHEME: o.destinationScheme,
      INSECURE_DESTINATION: String(o.insecureDestination),
      PROXY_EXTRA_ARGS: o.extraArgs.join(' '),
    }),
  ];
}
