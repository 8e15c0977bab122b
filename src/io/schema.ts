/**
 * zod validation of values read from files and options, with our message style: the first
 * problem as `where.field: expected …, got …`, naming missing and unknown fields.
 */
import type { z } from 'zod';
import { safeParse } from 'zod/v4/core';
import { FormatError, showValue } from '../util/errors.js';

/** What a zod issue expected, in the words of our messages ("a number >= 1"). */
export function expectedOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'too_small' && issue.origin === 'number') return `a number ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
  if (issue.code === 'too_big' && issue.origin === 'number') return `a number ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
  if (issue.code === 'too_big' && issue.origin === 'array') return `at most ${issue.maximum} items`;
  if (issue.code === 'too_small' && issue.origin === 'array') return `at least ${issue.minimum} items`;
  if (issue.code === 'invalid_type' && issue.expected === 'int') return 'an integer';
  if (issue.code === 'invalid_type' && issue.expected === 'number' && (issue as { received?: string }).received === 'Infinity') return 'a finite number';
  if (issue.code === 'invalid_type') return `a value of type ${issue.expected}`;
  if (issue.code === 'invalid_value') return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return issue.message.replace(/^Invalid (input|option): (expected )?/, '').replace(/^Too (big|small): (expected )?/, '');
}

/**
 * Validate a value read from a file with a zod schema, before anything is built from it.
 * @throws FormatError `where.field: expected …, got …` naming the first missing, extra or bad field.
 * @example const spec = checkSchema(specSchema, JSON.parse(text), 'ckpt.safetensors: extra');
 */
export function checkSchema<S extends z.core.$ZodType>(schema: S, value: unknown, where: string): z.core.output<S> {
  const r = safeParse(schema, value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const at = (path: readonly PropertyKey[]): string => path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  const field = `${where}${at(issue.path)}`;
  if (issue.code === 'unrecognized_keys') throw new FormatError(field, 'only known fields', `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => showValue(k, 40)).join(', ')}`);
  let got: unknown = value;
  for (const p of issue.path) got = typeof got === 'object' && got !== null ? (got as Record<PropertyKey, unknown>)[p] : undefined;
  if (got === undefined) throw new FormatError(field, 'a value (a required field)', 'nothing (missing)');
  throw new FormatError(field, expectedOf(issue), showValue(got));
}

