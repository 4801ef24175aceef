package dev.streamfit.app;

import dev.streamfit.http.HttpFront;
import dev.streamfit.http.HttpLimits;
import dev.streamfit.http.Response;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** {@code GET /metrics} in the Prometheus text format, from one {@link PrometheusMeterRegistry}, on an {@link HttpFront}. */
final class MetricsServer implements AutoCloseable {
  private final HttpFront front;

  MetricsServer(String host, int port, PrometheusMeterRegistry registry) throws IOException {
    front = HttpFront.start(new HttpFront.Spec("streamfit-metrics", host, port, HttpLimits.defaults(), 0,
        "metrics.max-body-bytes", "(none: GET /metrics takes no body)", 1), r -> {
          if (!r.path().equals("/metrics")) {
            return Response.error(404, "not_found", "no such endpoint: " + r.path() + " (GET /metrics)");
          }
          if (!r.method().equals("GET")) {
            return Response.error(405, "method_not_allowed", r.method() + " not allowed; use GET").with("Allow", "GET");
          }
          return new Response(200, "text/plain; version=0.0.4; charset=utf-8", Map.of(),
              registry.scrape().getBytes(StandardCharsets.UTF_8));
        }, null);
  }

  int port() {
    return front.port();
  }

  @Override
  public void close() {
    front.close();
  }
}
