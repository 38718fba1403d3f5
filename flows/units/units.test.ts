import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  DURATION_PATTERN,
  editDistance,
  formatDuration,
  isJsonMediaType,
  parseDuration,
  parseSize,
  SIZE_PATTERN,
} from "./index.ts";

const schema = JSON.parse(readFileSync(join(import.meta.dirname, "..", "schema", "flow.v1.json"), "utf8"));

describe("durations (flows/units/duration.ts)", () => {
  it("parses digits and one of ms, s, m, h, d into milliseconds, and nothing else", () => {
    expect(["250ms", "5s", "2m", "1h", "7d", "0s"].map(parseDuration)).toEqual([
      250, 5_000, 120_000, 3_600_000, 604_800_000, 0,
    ]);
    expect(["5", "1w", "-1s", "1.5s", " 5s", "5S", "s", ""].map(parseDuration)).toEqual(
      Array(8).fill(undefined),
    );
  });

  it("is the grammar of the flow schema's $defs/duration", () => {
    expect(schema.$defs.duration.pattern).toBe(DURATION_PATTERN);
  });

  it("formats milliseconds back the way flows write them", () => {
    expect([900, 1_500, 90_000, 7_200_000, 604_800_000].map(formatDuration)).toEqual([
      "900ms",
      "1.5s",
      "1.5m",
      "2h",
      "7d",
    ]);
  });
});

describe("sizes (flows/units/size.ts)", () => {
  it("parses a number with an optional fraction and unit (b, kb, mb, KiB, MiB, any case) into bytes", () => {
    expect(["2048", "512b", "150kb", "1.5mb", "3MiB", "10KB", "1.5kib"].map(parseSize)).toEqual([
      2048,
      512,
      153_600,
      1_572_864,
      3 * 1024 ** 2,
      10_240,
      1536,
    ]);
  });

  it("refuses what is not a size: spaces, signs, exponents, other units, a dangling point", () => {
    const bad = ["1.5 mb", " 1kb", "-1kb", "1e3", "1gb", "1.mb", ".5mb", "mb", "", "0x10", "1kbb"];
    expect(bad.map(parseSize)).toEqual(Array(bad.length).fill(undefined));
  });

  it("is the grammar of the flow schema's maxBodySize", () => {
    expect(schema.$defs.httpTrigger.properties.maxBodySize.pattern).toBe(SIZE_PATTERN);
  });
});

describe("the JSON media type (flows/units/media-type.ts)", () => {
  it("is application/json or a +json type, whatever the case and parameters", () => {
    const yes = ["application/json", "Application/JSON; charset=utf-8", "application/vnd.github+json"];
    const no = ["text/json", "application/json-seq", "application/jsonx", "text/plain", "", null, undefined];
    expect(yes.map(isJsonMediaType)).toEqual([true, true, true]);
    expect(no.map(isJsonMediaType)).toEqual(Array(no.length).fill(false));
  });
});

describe("Levenshtein distance (flows/units/levenshtein.ts)", () => {
  it("counts insertions, deletions and substitutions", () => {
    expect(editDistance("transfrom", "transform")).toBe(2);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("same", "same")).toBe(0);
  });
});
