/**
 * The job bodies of ShowJob as a client reads them. No imports: the web console (console/) shares these types
 * with the Node client.
 */

export interface JobResult {
  image_id: string;
  project_id?: string;
  status: string;
}

export interface Job {
  status: 'INIT' | 'RUNNING' | 'SUCCESS' | 'FAIL';
  job_id: string;
  job_type: string;
  begin_time: string;
  end_time: string;
  error_code: string | null;
  fail_reason: string | null;
  entities: { results?: JobResult[]; [key: string]: unknown };
}
