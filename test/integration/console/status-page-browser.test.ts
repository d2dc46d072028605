import { buildApi } from '../../../runtime/src/console/api';
import { parseServicesYaml } from '../../../runtime/src/core/services-yaml';
import { artifactPath, launchChromium } from '../support/browser';
import { stackEndpoints } from '../support/env';

const env = stackEndpoints();

describe('status page in Chromium', () => {
  it('shows both clusters with the versions the API reports', async () => {
    const yaml = `source_cluster:\n  endpoint: ${env.sourceUrl}\n  no_auth:\ntarget_cluster:\n  endpoint: ${env.targetUrl}\n  no_auth:\n`;
    const app = await buildApi({ loadConfig: async () => parseServicesYaml(yaml) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(app.server.address() as any).port}/`);
      await page.waitForFunction(() => document.querySelectorAll('#clusters tr').length === 2, undefined, { timeout: 60_000 });
      const rows = await page.locator('#clusters tr').allInnerTexts();
      expect(rows[0]).toMatch(/source\s+.*ES 7\.10\.2/);
      expect(rows[1]).toMatch(/target\s+.*OS 2\.19\.1/);
      await page.screenshot({ path: artifactPath('status-page.png'), fullPage: true });
    } finally {
      await browser.close();
      await app.close();
    }
  });
});
