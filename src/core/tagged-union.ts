/**
 * A zod schema for objects tagged by one string field (`type`, `role`): each tag is validated by its own
 * schema, so an error points at the field at fault (`messages.0.content.1.source.data`) instead of an opaque
 * "invalid union"; a tag without a schema becomes `{ [tag]: 'unknown', original }`, for the caller to refuse
 * with a message that names it.
 */
import { z } from 'zod';
import { openIssue } from './zod-issue.js';

export type Unknown<K extends string> = { [P in K]: 'unknown' } & { original: string };

export function taggedUnion<K extends string, S extends Record<string, z.ZodType>>(tag: K, schemas: S) {
  const shape = { [tag]: z.string() } as { [P in K]: z.ZodString };
  return z.looseObject(shape).transform((value, ctx): z.output<S[keyof S]> | Unknown<K> => {
    const name = (value as Record<K, string>)[tag];
    const schema = Object.hasOwn(schemas, name) ? schemas[name] : undefined;
    if (!schema) return { [tag]: 'unknown', original: name } as Unknown<K>;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data as z.output<S[keyof S]>;
    for (const issue of parsed.error.issues) {
      const { message, path } = openIssue(issue);
      ctx.issues.push({ code: 'custom', message, path, input: value });
    }
    return z.NEVER;
  });
}
