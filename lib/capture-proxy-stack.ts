import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { LaunchTemplate, UserData } from 'aws-cdk-lib/aws-ec2';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { CfnDocument, StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { ProxyArtifact } from './capture-proxy/proxy-artifact';
import { installDocumentContent, removeDocumentContent, userDataLines } from './capture-proxy/ssm-documents';
import { CaptureProxyConfig, KAFKA_TOPIC } from './config';
import { captureProducerStatements, KafkaArns } from './kafka-arns';

export interface CaptureProxyStackProps extends StackProps {
  stage: string;
  captureProxy: CaptureProxyConfig;
  /** Whether the proxy may skip TLS verification towards the node (the source's allowInsecure). */
  insecureDestination: boolean;
  /**
   * The source's version (ES_7.10, OS_2.19...): the proxy frames requests as that server does.
   * @default the proxy's own default (ES_7.10)
   */
  sourceVersion?: string;
  kafkaArns: KafkaArns;
  kafkaBrokersParameterName: string;
  repoRoot: string;
}

/**
 * How the capture proxy reaches the source's coordinator nodes: its releases in S3, the SSM
 * documents that install and remove it, user data for new nodes, and the nodes' IAM policy.
 */
export class CaptureProxyStack extends Stack {
  readonly installDocument: CfnDocument;
  readonly removeDocument: CfnDocument;
  readonly nodePolicy: ManagedPolicy;
  readonly userData: UserData;

  constructor(scope: Construct, id: string, props: CaptureProxyStackProps) {
    super(scope, id, props);
    const p = props.captureProxy;
    const assets = new ProxyArtifact(this, 'Artifact', { repoRoot: props.repoRoot }).assets;
    const byArch = <T>(f: (a: Asset) => T) => ({ x64: f(assets.x64), arm64: f(assets.arm64) });
    const common = {
      region: this.region,
      kafkaTopic: KAFKA_TOPIC,
      listenPort: p.listenPort,
      nodePort: p.nodePort,
      destinationScheme: p.destinationScheme,
      insecureDestination: props.insecureDestination,
      extraArgs: [...(props.sourceVersion && /^(ES|OS)_/i.test(props.sourceVersion) ? ['--sourceVersion', props.sourceVersion] : []), ...p.extraArgs],
    };

    this.installDocument = new CfnDocument(this, 'InstallCaptureProxy', {
      name: `migration-${props.stage}-InstallCaptureProxy`,
      documentType: 'Command',
      updateMethod: 'NewVersion',
      content: installDocumentContent({
        ...common,
        artifactUrls: byArch((a) => `https://s3.${this.region}.${this.urlSuffix}/${a.s3BucketName}/${a.s3ObjectKey}`),
        kafkaBrokersParameterName: props.kafkaBrokersParameterName,
      }),
    });
    this.removeDocument = new CfnDocument(this, 'RemoveCaptureProxy', {
      name: `migration-${props.stage}-RemoveCaptureProxy`,
      documentType: 'Command',
      updateMethod: 'NewVersion',
      content: removeDocumentContent(p.listenPort),
    });

    this.userData = UserData.forLinux();
    this.userData.addCommands(
      ...userDataLines({ ...common, artifactS3Uris: byArch((a) => a.s3ObjectUrl), kafkaBrokers: StringParameter.valueForStringParameter(this, props.kafkaBrokersParameterName) }),
    );
    const template = new LaunchTemplate(this, 'CoordinatorNodeUserData', {
      launchTemplateName: `migration-${props.stage}-capture-proxy-node`,
      userData: this.userData,
      requireImdsv2: true,
    });

    const k = props.kafkaArns;
    this.nodePolicy = new ManagedPolicy(this, 'NodePolicy', {
      managedPolicyName: `migration-${props.stage}-capture-proxy-node`,
      description: 'Attach to the role of coordinator nodes that run the capture proxy: MSK producer on the capture topic, read of the proxy releases',
      statements: [
        ...captureProducerStatements(k),
        new PolicyStatement({ actions: ['s3:GetObject'], resources: Object.values(byArch((a) => `arn:${this.partition}:s3:::${a.s3BucketName}/${a.s3ObjectKey}`)) }),
      ],
    });

    new CfnOutput(this, 'InstallDocumentName', { value: this.installDocument.ref, description: 'aws ssm send-command --document-name <this> --targets Key=tag:role,Values=coordinator' });
    new CfnOutput(this, 'RemoveDocumentName', { value: this.removeDocument.ref });
    new CfnOutput(this, 'NodePolicyArn', { value: this.nodePolicy.managedPolicyArn, description: 'Attach to the coordinator nodes\' instance role' });
    new CfnOutput(this, 'NodeLaunchTemplateId', { value: template.launchTemplateId ?? '', description: 'User data that installs the proxy on new coordinator nodes' });
  }
}
