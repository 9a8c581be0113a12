// -c mlflowAllowedCidr's bound, on the checking function itself (the template
// tests in mlflow-stack.test.ts go through the app).
import { describe, expect, it } from 'vitest';
import { UserError } from '../../model/user-error.ts';
import { checkCidr, MAX_ALLOWED_CIDR_PREFIX } from '../../stacks/config.ts';

const refusal = (value: string) => {
  try {
    checkCidr('mlflowAllowedCidr', value);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error(`${value} was accepted`);
};

describe('checkCidr (mlflowAllowedCidr)', () => {
  it('accepts IPv4 ranges from /32 up to the /16 bound', () => {
    expect(MAX_ALLOWED_CIDR_PREFIX).toBe(16);
    for (const ok of ['203.0.113.7/32', '198.51.100.0/24', '172.16.0.0/16', '10.0.0.0/20']) expect(checkCidr('mlflowAllowedCidr', ok)).toBe(ok);
  });

  it('refuses every prefix shorter than /16, on one line naming the value, the bound and the fix', () => {
    for (let prefix = 0; prefix < 16; prefix++) {
      const message = refusal(`0.0.0.0/${prefix}`);
      expect(message).not.toContain('\n');
      expect(message).toContain(`-c mlflowAllowedCidr=0.0.0.0/${prefix} is not valid`);
      expect(message).toContain('wider than the /16 bound');
      expect(message).toContain('a.b.c.d/32');
    }
    expect(refusal('10.0.0.0/15')).toContain('131,072 addresses');
  });

  it('refuses IPv6 (the server has none), whatever the prefix', () => {
    for (const v6 of ['::/0', '2001:db8::/32', '2001:db8:1::/48', '2001:db8::1/128']) expect(refusal(v6)).toMatch(/IPv6 ranges are not supported/);
  });

  it('refuses malformed ranges and set host bits', () => {
    for (const bad of ['203.0.113.7', '203.0.113.7/33', '256.0.0.0/16', 'anywhere']) expect(refusal(bad)).toMatch(/expected an IPv4 range/);
    expect(refusal('10.1.2.3/16')).toMatch(/did you mean 10\.1\.0\.0\/16\?/);
  });
});
