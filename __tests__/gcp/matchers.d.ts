// Type declarations of cdktf's jest matchers (toHaveResourceWithProperties, ...) for the type-check;
// __tests__/setup.ts registers the matchers themselves at run time.
import type {} from "cdktf/lib/testing/adapters/jest";
