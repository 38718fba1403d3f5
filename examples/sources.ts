import type { FlowSource } from "../flows/validate/index.ts";
import echo from "./s3_workers_echo/echo.yaml";
import echoParams from "./s3_workers_echo/echo-params.yaml";
import echoStream from "./s3_workers_echo/echo-stream.yaml";
import greet from "./s3_workers_echo/greet.yaml";

/** Every example flow, as text with its path, so that the worker validates exactly the files in the repo. */
export const EXAMPLE_SOURCES: readonly FlowSource[] = [
  { file: "examples/s3_workers_echo/echo.yaml", text: echo },
  { file: "examples/s3_workers_echo/echo-params.yaml", text: echoParams },
  { file: "examples/s3_workers_echo/echo-stream.yaml", text: echoStream },
  { file: "examples/s3_workers_echo/greet.yaml", text: greet },
];
