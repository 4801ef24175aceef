package dev.streamfit.ingest.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.streamfit.ingest.IngestConfig;
import dev.streamfit.ingest.IngestServer;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamfit.ingest.IngestSources;
import dev.streamfit.schemas.HttpRequests;
import dev.streamfit.schemas.Multipart;
import dev.streamfit.schemas.RejectReason;
import dev.streamfit.schemas.Split;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/images?label=…&split=…}: one image per request (raw body or multipart with one file),
 * published and committed before the answer. JSON answers: 201 published, 200 already published, 400 bad
 * parameters, 405, 413/415/422 refused with the reason code and message (the refusal is also on
 * {@code images.rejected}). Thread-safe.
 */
public final class IngestHttp implements IngestServer {
  private static final Logger LOG = LoggerFactory.getLogger(IngestHttp.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private final IngestConfig config;
  private final Publisher publisher;
  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
    Thread t = new Thread(r, "streamfit-ingest-http");
    t.setDaemon(true);
    return t;
  });

  private IngestHttp(IngestConfig config, Publisher publisher, HttpServer server) {
    this.config = config;
    this.publisher = publisher;
    this.server = server;
  }

  /** Listens on {@code host}:{@code port}; owns {@code publisher} from now on. */
  public static IngestHttp start(IngestConfig config, Publisher publisher, String host, int port) throws IOException {
    HttpServer server;
    try {
      server = HttpRequests.newServer(new InetSocketAddress(host, port), 64);
    } catch (IOException e) {
      publisher.close();
      throw e;
    }
    IngestHttp http = new IngestHttp(config, publisher, server);
    server.setExecutor(http.executor);
    server.createContext("/v1/images", http::handle);
    server.start();
    LOG.info("ingest over HTTP at http://{}:{}/v1/images", host, http.port());
    return http;
  }

  @Override
  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) {
    try {
      if (!ex.getRequestMethod().equals("POST")) {
        ex.getResponseHeaders().add("Allow", "POST");
        reply(ex, 405, error("method_not_allowed", ex.getRequestMethod() + " not allowed; use POST"));
        return;
      }
      if (!ex.getRequestURI().getPath().equals("/v1/images")) {
        reply(ex, 404, error("not_found", "no such endpoint: " + ex.getRequestURI().getPath()));
        return;
      }
      String label = HttpRequests.query(ex.getRequestURI(), "label");
      String splitParam = HttpRequests.query(ex.getRequestURI(), "split");
      Split split;
      try {
        split = splitParam == null ? (label == null ? Split.UNLABELED : Split.TRAIN)
            : IngestSources.parseSplit(splitParam, "query parameter split");
      } catch (IllegalArgumentException e) {
        reply(ex, 400, error("bad_request", e.getMessage()));
        return;
      }
      if (split == Split.UNLABELED) {
        label = null;
      } else if (label == null || label.isBlank()) {
        reply(ex, 400, error("bad_request", "split=" + splitParam + " needs a label (?label=…)"));
        return;
      }
      byte[] body;
      try (InputStream in = ex.getRequestBody()) {
        HttpRequests.Body read = HttpRequests.read(in, config.maxImageBytes());
        if (read.tooLarge()) {
          if (!read.complete()) {
            ex.getResponseHeaders().set("Connection", "close");
          }
          reply(ex, 413, error(RejectReason.TOO_LARGE.code(), "body exceeds ingest.max-image-bytes=" + config.maxImageBytes()));
          return;
        }
        body = read.bytes();
      }
      String boundary;
      try {
        boundary = Multipart.boundary(ex.getRequestHeaders().getFirst("Content-Type"));
        if (boundary != null) {
          List<Multipart.Part> files = Multipart.parse(body, boundary).stream()
              .filter(p -> p.filename() != null || "file".equals(p.name())).toList();
          if (files.size() != 1) {
            reply(ex, 400, error("bad_request", "multipart body must carry exactly one file, carried " + files.size()));
            return;
          }
          body = files.get(0).content();
        }
      } catch (IllegalArgumentException e) {
        reply(ex, 400, error("bad_request", "malformed multipart/form-data body: " + e.getMessage()));
        return;
      }
      String source = "http:" + ex.getRemoteAddress().getAddress().getHostAddress();
      Publisher.Outcome o = publisher.publish(body, source, split, label, "application/octet-stream");
      publisher.commit();
      Map<String, Object> answer = new LinkedHashMap<>();
      answer.put("id", o.id());
      answer.put("split", o.split().name().toLowerCase(Locale.ROOT));
      answer.put("label", o.label());
      switch (o.status()) {
        case PUBLISHED -> reply(ex, 201, status("published", answer));
        case DUPLICATE -> reply(ex, 200, status("duplicate", answer));
        default -> reply(ex, o.reason().httpStatus(), error(o.reason().code(), o.message()));
      }
    } catch (RuntimeException | IOException e) {
      LOG.warn("ingest request failed", e);
      try {
        reply(ex, 500, error("internal_error", e.toString()));
      } catch (IOException | RuntimeException ignored) {
        // client gone
      }
    } finally {
      ex.close();
    }
  }

  private static Map<String, Object> status(String status, Map<String, Object> fields) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("status", status);
    m.putAll(fields);
    return m;
  }

  private static Map<String, Object> error(String code, String message) {
    return Map.of("error", code, "message", message);
  }

  private static void reply(HttpExchange ex, int status, Object body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(1);
    executor.shutdownNow();
    publisher.close();
  }
}
