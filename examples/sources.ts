import type { FlowSource } from "../flows/validate/index.ts";
import approval from "./approval/approval.yaml";
import enqueue from "./capabilities/enqueue.yaml";
import filesDownload from "./capabilities/files-download.yaml";
import filesUpload from "./capabilities/files-upload.yaml";
import queueToKv from "./capabilities/queue-to-kv.yaml";
import cronReport from "./cron-report/report.yaml";
import githubIssueOpened from "./github-app/issue-opened.yaml";
import githubPullRequest from "./github-app/pull-request.yaml";
import githubRead from "./github-app/read.yaml";
import githubReviewReminder from "./github-app/review-reminder.yaml";
import githubReviewSubmitted from "./github-app/review-submitted.yaml";
import echo from "./s3_workers_echo/echo.yaml";
import echoParams from "./s3_workers_echo/echo-params.yaml";
import echoStream from "./s3_workers_echo/echo-stream.yaml";
import greet from "./s3_workers_echo/greet.yaml";
import uploadProcess from "./upload-pipeline/process.yaml";
import uploadStatus from "./upload-pipeline/status.yaml";
import upload from "./upload-pipeline/upload.yaml";

/** Every example flow, as text with its path, so that the worker validates exactly the files in the repo. */
export const EXAMPLE_SOURCES: readonly FlowSource[] = [
  { file: "examples/s3_workers_echo/echo.yaml", text: echo },
  { file: "examples/s3_workers_echo/echo-params.yaml", text: echoParams },
  { file: "examples/s3_workers_echo/echo-stream.yaml", text: echoStream },
  { file: "examples/s3_workers_echo/greet.yaml", text: greet },
  { file: "examples/capabilities/files-upload.yaml", text: filesUpload },
  { file: "examples/capabilities/files-download.yaml", text: filesDownload },
  { file: "examples/capabilities/enqueue.yaml", text: enqueue },
  { file: "examples/capabilities/queue-to-kv.yaml", text: queueToKv },
  { file: "examples/upload-pipeline/upload.yaml", text: upload },
  { file: "examples/upload-pipeline/process.yaml", text: uploadProcess },
  { file: "examples/upload-pipeline/status.yaml", text: uploadStatus },
  { file: "examples/cron-report/report.yaml", text: cronReport },
  { file: "examples/github-app/issue-opened.yaml", text: githubIssueOpened },
  { file: "examples/github-app/pull-request.yaml", text: githubPullRequest },
  { file: "examples/github-app/read.yaml", text: githubRead },
  { file: "examples/github-app/review-reminder.yaml", text: githubReviewReminder },
  { file: "examples/github-app/review-submitted.yaml", text: githubReviewSubmitted },
  { file: "examples/approval/approval.yaml", text: approval },
];
