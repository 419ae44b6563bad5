/**
 * The rule of a number option (client, manager, emulator, fault), checked by one zod schema per
 * rule and told in the same words everywhere: `must be an integer ≥ 1`.
 */
import { z } from 'zod';

/** Bounds are inclusive; a number option is a (safe) integer unless `integer` is false. */
export interface NumberRule {
  min: number;
  max?: number | undefined;
  integer?: boolean | undefined;
}

const schemas = new Map<string, z.ZodNumber>();

function schemaOf({ min, max, integer = true }: NumberRule): z.ZodNumber {
  const key = `${min}:${max}:${integer}`;
  let schema = schemas.get(key);
  if (schema === undefined) {
    schema = integer ? z.number().int().min(min) : z.number().min(min);
    if (max !== undefined) schema = schema.max(max);
    schemas.set(key, schema);
  }
  return schema;
}

/** What a value must be to follow `rule`, in words: `an integer ≥ 1`, `a number from 0 to 10`. */
export function numberRuleText({ min, max, integer = true }: NumberRule): string {
  const kind = integer ? 'an integer' : 'a finite number';
  return max === undefined ? `${kind} ≥ ${min}` : `${kind} from ${min} to ${max}`;
}

/** Whether `value` follows `rule`; where not, {@link numberRuleText} says what it must be. */
export function followsNumberRule(value: unknown, rule: NumberRule): value is number {
  return schemaOf(rule).safeParse(value).success;
}
