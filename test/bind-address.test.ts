// Loopback is decided on parsed addresses (a name resolved first), never by a string prefix:
// `127.evil.example` is whatever it resolves to.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bindsLoopbackOnly, isLoopbackIp, ownHostNames } from '../src/server/bind-address.js';

describe('loopback addresses', () => {
  it('parses IP literals: 127.0.0.0/8, ::1 and mapped 127.x are loopback; nothing else is', () => {
    for (const ip of ['127.0.0.1', '127.255.3.4', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) assert.equal(isLoopbackIp(ip), true, ip);
    for (const ip of ['128.0.0.1', '0.0.0.0', '::', '10.0.0.1', '::ffff:10.0.0.1', '127.evil.example', '127.1', 'localhost', '']) {
      assert.equal(isLoopbackIp(ip), false, ip);
    }
  });

  it('resolves names first: loopback only when every address is', async () => {
    const dns = (table: Record<string, string[]>) => async (name: string) => {
      if (!table[name]) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
      return table[name].map((address) => ({ address }));
    };
    const resolve = dns({ '127.evil.example': ['203.0.113.7'], 'both.example': ['127.0.0.1', '192.0.2.1'], 'lo.example': ['127.0.0.1', '::1'] });
    assert.equal(await bindsLoopbackOnly('127.evil.example', resolve), false);
    assert.equal(await bindsLoopbackOnly('both.example', resolve), false);
    assert.equal(await bindsLoopbackOnly('lo.example', resolve), true);
    assert.equal(await bindsLoopbackOnly('unknown.example', resolve), false);
    assert.equal(await bindsLoopbackOnly('0.0.0.0', resolve), false);
    assert.equal(await bindsLoopbackOnly('127.0.0.2', resolve), true);
    assert.equal(await bindsLoopbackOnly('localhost'), true, 'the real resolver: localhost is loopback here');
  });

  it('names the Hosts a server answers to: loopback names and its bound address, with the port', () => {
    const names = ownHostNames('127.0.0.1', 8770);
    assert.deepEqual([...names].sort(), ['127.0.0.1:8770', '[::1]:8770', 'localhost:8770']);
    assert.ok(ownHostNames('::1', 1).has('[::1]:1'));
    assert.ok(ownHostNames('0.0.0.0', 2).has('127.0.0.1:2'));
  });
});
