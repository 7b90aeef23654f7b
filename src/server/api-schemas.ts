// The API's inputs and main outputs as zod schemas: requests are validated
// with them (errors name the field's path) and the OpenAPI document is
// generated from them (z.toJSONSchema), so the two cannot drift.
import { z } from "zod";
import { semverPattern } from "../domain/config-schema.js";
import { ROLES } from "../domain/roles.js";
import { stages } from "../pipeline/events.js";
import { RUN_ID_PATTERN } from "../pipeline/run-journal.js";

const name = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { message: "must be a DNS label: lowercase letters, digits and '-'" });

export const EnvParams = z.strictObject({ env: name.describe("environment") });
export const EnvLockParams = EnvParams.extend({ number: z.coerce.number().int().min(1).describe("the lock's number in the history") });
export const EnvServiceParams = z.strictObject({ env: name.describe("environment"), service: name.describe("service") });
export const RolloutActionParams = EnvServiceParams.extend({ action: z.enum(["pause", "resume", "promote", "abort", "retry"]) });
export const ReleaseIdParams = z.strictObject({ id: z.string().regex(/^[a-z0-9][a-z0-9-]*@[0-9A-Za-z.+-]+$/, { message: "must be service@version" }) });
export const RunIdParams = z.strictObject({ id: z.string().min(1).max(100) });
export const StageLogParams = z.strictObject({
  id: z.string().regex(RUN_ID_PATTERN, { message: "must be a run id such as 20260101-120000-ab12 (GET /api/runs lists them)" }),
  service: name.describe("service"),
  stage: z.enum(stages),
});
export const FollowQuery = z.strictObject({ follow: z.enum(["true", "false"]).optional().describe("keep the answer open while the stage writes (default true)") });

export const StatusQuery = z.strictObject({ env: name.optional() });
export const ReleasesQuery = z.strictObject({ service: name.optional() });
export const SnapshotQuery = z.strictObject({ allowPartial: z.enum(["true", "false"]).optional().describe("lock the services that serve and leave out the others, with the reason (default false)") });
export const LimitQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).optional() });

const semver = z.string().regex(semverPattern, { message: "must be a semantic version such as 1.4.0 or 1.4.0-rc.1" });
const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, { message: "must be sha256:<64 hex digits>" });

export const LoginBody = z.strictObject({ user: z.string().min(1).max(200), password: z.string().min(1).max(1000) });
export const DeployBody = z.strictObject({ version: semver.optional(), digest: digest.optional() }).refine((b) => b.version === undefined || b.digest === undefined, { message: "give version or digest, not both", path: ["digest"] });
export const RolloutActionBody = z.strictObject({ full: z.boolean().optional().describe("promote: skip every remaining step"), reason: z.string().max(500).optional().describe("abort: why") });
export const PromoteBody = z.strictObject({ from: name.describe("the environment whose lock is promoted into :env (the one it is promoted from)") });
export const UndoBody = z.strictObject({ toRevision: z.number().int().min(1).optional() });
// The version and whether a service is named are the use case's to check (USAGE, with its hint), as on the CLI.
export const ReleaseBody = z.strictObject({
  services: z.array(name).max(100).default([]),
  version: z.string().min(1).max(100).optional().describe("a semantic version such as 1.4.0 or 1.4.0-rc.1"),
  prerelease: z.string().regex(/^[0-9A-Za-z-]+$/).optional(),
  all: z.boolean().optional(),
});
export const ApproveBody = z.strictObject({ comment: z.string().max(1000).optional() });
export const RejectBody = z.strictObject({ reason: z.string().trim().min(1, { message: "say why the release is rejected" }).max(1000) });
export const EmptyBody = z.strictObject({});
export const TokenIdParams = z.strictObject({ id: z.string().regex(/^tok_[0-9a-f]{12}$/, { message: "must be a token id such as tok_0123456789ab (GET /api/tokens lists them)" }) });
const role = z.enum(ROLES);
export const UserBody = z.strictObject({
  name: z.string().min(1).max(200).regex(/^\S+$/, { message: "must have no spaces: the identity the release policy knows, e.g. an e-mail in owners" }),
  role,
  password: z.string().min(12, { message: "must have at least 12 characters" }).max(1000).optional().describe("leave out for a user of API tokens only"),
});
export const UserNameParams = z.strictObject({ name: z.string().min(1).max(200).describe("the user's name (URL-encoded: alice%40example.com)") });
export const RoleBody = z.strictObject({ role: role.describe("the user's new role; a demotion caps their tokens at it") });
export const TokenBody = z.strictObject({ user: z.string().min(1).max(200), role: role.describe("at most the user's role"), label: z.string().max(200).optional() });

export const ErrorResponse = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    hint: z.string().optional(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});
export const SessionResponse = z.object({ user: z.string(), role: z.enum(ROLES), via: z.enum(["token", "session"]), csrfToken: z.string().optional() });
export const RecordedResponse = z.object({ rolloutId: z.string(), state: z.record(z.string(), z.unknown()) });
export const GroupChangeResponse = z
  .object({ kind: z.string().describe("started (follow group.* events with its groupId on /api/events); up-to-date or already-there: nothing to do"), groupId: z.string().optional(), environment: z.string().optional(), services: z.array(z.string()).optional() })
  .loose();
