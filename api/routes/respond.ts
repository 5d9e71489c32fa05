import type { Context } from 'hono';
import type { Row } from 'postgres';
import { z } from 'zod';
import { ApiError } from '../http/errors.ts';
import type { ResponseSpec } from '../http/resource.ts';

export const featureCollectionResponse: ResponseSpec = {
  description: 'GeoJSON FeatureCollection (WGS84)',
  contentType: 'application/geo+json',
  schema: z.object({ type: z.literal('FeatureCollection'), features: z.array(z.object({ type: z.literal('Feature') }).loose()) }),
};

export const featureResponse: ResponseSpec = {
  description: 'GeoJSON Feature (WGS84)',
  contentType: 'application/geo+json',
  schema: z.object({ type: z.literal('Feature') }).loose(),
};

export const notFoundResponse: ResponseSpec = { description: 'not found' };
export const invalidInputResponse: ResponseSpec = { description: 'invalid input: {error:{code,message,details}}' };

/** The database already serialised the GeoJSON; passing the text through avoids a parse/stringify per request. */
export function geojson(c: Context, rows: Row[], column: string): Response {
  const text = rows[0]?.[column] as string | undefined;
  if (text === undefined || text === null) throw new ApiError(404, 'not_found', 'no such feature');
  return c.body(text, 200, { 'content-type': 'application/geo+json; charset=utf-8' });
}
