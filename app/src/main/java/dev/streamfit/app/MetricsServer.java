package dev.streamfit.app;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** {@code GET /metrics} in the Prometheus text format, from one {@link PrometheusMeterRegistry}. */
final class MetricsServer implements AutoCloseable {
  private final HttpServer server;

  MetricsServer(String host, int port, PrometheusMeterRegistry registry) throws IOException {
    server = dev.streamfit.schemas.HttpRequests.newServer(new InetSocketAddress(host, port), 0);
    server.createContext("/metrics", ex -> {
      try (ex) {
        if (!ex.getRequestMethod().equals("GET")) {
          ex.sendResponseHeaders(405, -1);
          return;
        }
        byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
          out.write(body);
        }
      }
    });
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
