// Fastify's own schema compilers (@fastify/ajv-compiler, @fastify/fast-json-stringify-compiler, with the
// options Fastify passes them), made lazy and shared: a route's validator or serializer is compiled the first
// time a request needs it, and each distinct schema object is compiled once for the whole app (the failure
// envelope, shared by every route's '4xx', is one serializer instead of ~50). Compiling ~100 schemas eagerly
// was half of the start-up time and most of the memory a fresh process had; most runs use a few routes.
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';
import type { ValidatorFactory } from '@fastify/ajv-compiler';
import type { SerializerFactory } from '@fastify/fast-json-stringify-compiler';

type SchemaControllerOptions = NonNullable<FastifyServerOptions['schemaController']>;
type BuildValidator = NonNullable<NonNullable<SchemaControllerOptions['compilersFactory']>['buildValidator']>;
type BuildSerializer = NonNullable<NonNullable<SchemaControllerOptions['compilersFactory']>['buildSerializer']>;

// Loaded on first use (they pull in ajv and fast-json-stringify, ~100 ms of module loading).
const require = createRequire(import.meta.url);
let validatorFactory: ValidatorFactory | undefined;
let serializerFactory: SerializerFactory | undefined;

interface Validate {
  (data: unknown): boolean;
  errors?: unknown;
}

/** A validator that compiles on its first call, then forwards; `errors` mirrors the compiled one's, as Fastify reads it. */
function lazyValidator(compile: () => Validate): Validate {
  let compiled: Validate | undefined;
  const validate: Validate = (data) => {
    compiled ??= compile();
    const valid = compiled(data);
    validate.errors = compiled.errors;
    return valid;
  };
  return validate;
}

function lazySerializer(compile: () => (data: unknown) => string): (data: unknown) => string {
  let compiled: ((data: unknown) => string) | undefined;
  return (data) => (compiled ??= compile())(data);
}

/** One cache per distinct (external schemas, options), as Fastify's own compiler pool keys its ajv instances. */
function pooled<C, F>(make: () => { cache: WeakMap<object, F>; compiler: { current?: C } }) {
  const pool = new Map<string, { cache: WeakMap<object, F>; compiler: { current?: C } }>();
  return (externalSchemas: unknown, options: unknown) => {
    const key = JSON.stringify([externalSchemas, options]);
    let entry = pool.get(key);
    if (!entry) pool.set(key, (entry = make()));
    return entry;
  };
}

/** The `schemaController` option for Fastify(): same compilers and options as Fastify's defaults, lazy and shared. */
export function lazySchemaController(): SchemaControllerOptions {
  const validators = pooled<ReturnType<ValidatorFactory>, Validate>(() => ({ cache: new WeakMap(), compiler: {} }));
  const serializers = pooled<ReturnType<SerializerFactory>, (data: unknown) => string>(() => ({ cache: new WeakMap(), compiler: {} }));
  const buildValidator: BuildValidator = (externalSchemas, options) => {
    const { cache, compiler } = validators(externalSchemas, options);
    return (route) => {
      const schema = route.schema as object;
      let validate = cache.get(schema);
      if (!validate) {
        validate = lazyValidator(() => {
          validatorFactory ??= (require('@fastify/ajv-compiler') as () => ValidatorFactory)();
          compiler.current ??= validatorFactory(externalSchemas as Parameters<ValidatorFactory>[0], options as Parameters<ValidatorFactory>[1]);
          return compiler.current(route) as Validate;
        });
        cache.set(schema, validate);
      }
      return validate as ReturnType<ReturnType<ValidatorFactory>>;
    };
  };
  const buildSerializer: BuildSerializer = (externalSchemas, options) => {
    const { cache, compiler } = serializers(externalSchemas, options);
    return (route) => {
      const schema = route.schema as object;
      let serialize = cache.get(schema);
      if (!serialize) {
        serialize = lazySerializer(() => {
          serializerFactory ??= (require('@fastify/fast-json-stringify-compiler') as () => SerializerFactory)();
          compiler.current ??= serializerFactory(externalSchemas, options as Parameters<SerializerFactory>[1]);
          return compiler.current(route);
        });
        cache.set(schema, serialize);
      }
      return serialize;
    };
  };
  return { compilersFactory: { buildValidator, buildSerializer } };
}
