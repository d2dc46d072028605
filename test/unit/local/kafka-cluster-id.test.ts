import { kafkaClusterId } from '../../../runtime/src/local/servers';

describe('kafkaClusterId', () => {
  it('never starts with a character the storage tool would read as an option', () => {
    // 0xf8.. and 0xfc.. are the first bytes whose plain base64url starts with '-' and '_'.
    for (const first of [0xf8, 0xfb, 0xfc, 0xff]) {
      const bytes = Buffer.alloc(16, 0xab);
      bytes[0] = first;
      expect(bytes.toString('base64url')[0]).toMatch(/[-_]/);
      const id = kafkaClusterId(bytes);
      expect(id[0]).not.toMatch(/[-_]/);
      expect(id).toHaveLength(22);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
  });
});
