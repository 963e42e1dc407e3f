// A cron-only Worker: Cloudflare calls scheduled() on each [triggers] crons schedule.
// console.log output shows up in `wrangler tail` and in Workers Logs when observability is on.
export default {
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(check(env.CHECK_URL, controller.scheduledTime));
  },
};

export async function check(url, scheduledTime) {
  const started = Date.now();
  let status;
  try {
    const response = await fetch(url, { method: "HEAD" });
    status = response.status;
  } catch (error) {
    status = `failed: ${error.message}`;
  }
  const result = { url, status, ms: Date.now() - started, at: new Date(scheduledTime).toISOString() };
  console.log(JSON.stringify(result));
  return result;
}
