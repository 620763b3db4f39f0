-- wrk script of tests/bench/bench.py: after the run, prints one line of
-- key=value pairs that bench.py reads, below wrk's usual summary:
--   wrk: requests= duration_us= bytes= connect= read= write= status= timeout=
--        p50_us= p90_us= p99_us= max_us=
-- requests counts completed responses, status those that were not 2xx or
-- 3xx; connect/read/write/timeout are wrk's socket error counts; the
-- latencies, in microseconds, are wrk's percentiles over all requests.
done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "wrk: requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d " ..
      "status=%d timeout=%d p50_us=%.0f p90_us=%.0f p99_us=%.0f max_us=%.0f\n",
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max))
end
