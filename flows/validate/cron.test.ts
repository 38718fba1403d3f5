import { describe, expect, it } from "vitest";
import { checkCron } from "./cron.ts";

describe("checkCron", () => {
  it.each([
    "* * * * *",
    "*/5 * * * *",
    "0 9-17 * * MON-FRI",
    "15,45 0 1 JAN-DEC *",
    "0 0 L * ?",
    "0 0 15W * *",
    "0 0 ? * 5L",
    "0 0 ? * FRI#3",
    "0 0 * * 0,7",
    "0  12  *  *  *",
  ])("accepts %s", (schedule) => {
    expect(checkCron(schedule)).toEqual([]);
  });

  it.each([
    ["60 * * * *", 0, "minute `60` is out of range 0-59"],
    ["0 25 * * *", 2, "hour `25` is out of range 0-23"],
    ["0 0 0 * *", 4, "day of month `0` is out of range 1-31"],
    ["0 0 * 13 *", 6, "month `13` is out of range 1-12"],
    ["0 0 * FOO *", 6, "`FOO` is not a month: use 1-12 or JAN-DEC"],
    ["0 0 * * 8", 8, "day of week `8` is out of range 0-7"],
    ["*/0 * * * *", 0, "the step `0` must be a positive whole number"],
    ["5-1 * * * *", 0, "the range `5-1` goes backwards"],
    ["1,,2 * * * *", 2, "empty list item"],
    ["* * * *", 7, "a schedule has five fields: minute hour day-of-month month day-of-week"],
    ["* * * * * *", 10, "a schedule has five fields: minute hour day-of-month month day-of-week"],
  ])("rejects %s at offset %i", (schedule, offset, message) => {
    expect(checkCron(schedule)[0]).toEqual({ offset, message });
  });
});
