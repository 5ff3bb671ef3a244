// The attestation-id checksum a backup carries and a restore checks: the XOR of the SHA-256 of
// every id, so that it does not depend on the order the ids are read in (ids are unique, so no
// two cancel out).
import crypto from 'node:crypto';

export class IdChecksum {
  private readonly acc = Buffer.alloc(32);
  count = 0;

  add(id: string): void {
    const h = crypto.createHash('sha256').update(id).digest();
    for (let i = 0; i < 32; i++) this.acc[i] = this.acc[i]! ^ h[i]!;
    this.count++;
  }

  hex(): string {
    return this.acc.toString('hex');
  }
}
