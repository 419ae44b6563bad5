import { z } from 'zod';

/** The type of a context or custom variable, as the Agent API names it. */
export const VariableTypeSchema = z.enum([
  'Object',
  'Json',
  'Boolean',
  'Date',
  'DateTime',
  'Money',
  'Number',
  'Text',
  'Ref',
  'List',
]);
export type VariableType = z.infer<typeof VariableTypeSchema>;

const isoDate = /^\d{4}-\d{2}-\d{2}$/;
const isoDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A variable sent at session start or with a message. The JSON type of `value` follows `type`:
 * Boolean → boolean, Number → number, Text/Date/DateTime/Money/Ref → string, Json → object,
 * Object → nested variables or an object, List → array. `null` clears a value.
 */
export const VariableSchema = z
  .object({
    name: z.string().min(1, 'variable name must not be empty'),
    type: VariableTypeSchema,
    value: z.unknown(),
  })
  .superRefine((v, ctx) => {
    const value = v.value;
    if (value === null || value === undefined) return;
    const fail = (expected: string) =>
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        message: `variable ${v.name} of type ${v.type} needs ${expected}`,
      });
    switch (v.type) {
      case 'Boolean':
        if (typeof value !== 'boolean') fail('a boolean (not the string "true")');
        break;
      case 'Number':
        if (typeof value !== 'number' || !Number.isFinite(value)) fail('a finite number');
        break;
      case 'Date':
        if (typeof value !== 'string' || !isoDate.test(value)) fail('a date string YYYY-MM-DD');
        break;
      case 'DateTime':
        if (typeof value !== 'string' || !isoDateTime.test(value))
          fail('a date-time string YYYY-MM-DDThh:mm:ss');
        break;
      case 'Text':
      case 'Money':
      case 'Ref':
        if (typeof value !== 'string') fail('a string');
        break;
      case 'Json':
        if (typeof value !== 'object') fail('an object');
        break;
      case 'Object':
        if (typeof value !== 'object') fail('an object or a list of variables');
        break;
      case 'List':
        if (!Array.isArray(value)) fail('an array');
        break;
    }
  });
export type Variable = z.infer<typeof VariableSchema>;

export const VariablesSchema = z.array(VariableSchema).nullable();

/**
 * A variable as the Agent API accepts it on the wire, which is more lenient than what this
 * library sends ({@link VariableSchema}): `value` may be missing, and a Boolean may come as a
 * string (`"True"`), which the API accepts but then compares as text.
 */
export const WireVariableSchema = z
  .strictObject({
    name: z.string().min(1, 'variable name must not be empty'),
    type: VariableTypeSchema,
    value: z.unknown().optional(),
  })
  .superRefine((v, ctx) => {
    if (v.type === 'Boolean' && typeof v.value === 'string') return;
    const checked = VariableSchema.safeParse({ ...v, value: v.value ?? null });
    if (!checked.success) for (const issue of checked.error.issues) ctx.addIssue({ ...issue });
  })
  // A missing value reads as null (no value), which is how the emulator keeps it.
  .transform((v): Variable => ({ name: v.name, type: v.type, value: v.value ?? null }));

/** The `variables` of a request body as the Agent API accepts it (see {@link WireVariableSchema}). */
export const WireVariablesSchema = z.array(WireVariableSchema).nullable();
