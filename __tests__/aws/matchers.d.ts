// Brings cdktf's jest matcher types (toHaveResourceWithProperties, ...) into the type-check;
// __tests__/setup.ts registers them at run time.
import type {} from "cdktf/lib/testing/adapters/jest";
