package dev.streamfit.serving.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.streamfit.engine.LabelScore;
import dev.streamfit.imaging.ImageDecoder;
import dev.streamfit.imaging.ImageRejectedException;
import dev.streamfit.imaging.Pixels;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.OffsetRange;
import dev.streamfit.schemas.RejectReason;
import dev.streamfit.serving.ActiveModel;
import dev.streamfit.serving.ServingConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.bytedeco.opencv.opencv_core.Mat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API on the JDK's HTTP server: {@code POST /v1/predict}, {@code GET /v1/models},
 * {@code GET /healthz}, {@code GET /readyz}. Every error is JSON {@code {"error": code, "message": …}}.
 */
public final class HttpApi implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Most request bytes read and dropped to answer 413 cleanly; beyond this the connection is closed. */
  private static final long DRAIN_LIMIT = 256L * 1024 * 1024;
  private final ServingConfig config;
  private final Supplier<ActiveModel> models;
  private final ImageDecoder decoder;
  private final HttpServer server;
  private final ExecutorService executor;

  public HttpApi(ServingConfig config, Supplier<ActiveModel> models) throws IOException {
    this.config = config;
    this.models = models;
    this.decoder = new ImageDecoder(config.limits());
    this.server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 128);
    this.executor = Executors.newFixedThreadPool(config.httpThreads(), r -> {
      Thread t = new Thread(r, "streamfit-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/v1/predict", ex -> handle(ex, "POST", this::predict));
    server.createContext("/v1/models", ex -> handle(ex, "GET", this::models));
    server.createContext("/healthz", ex -> handle(ex, "GET", e -> reply(e, 200, Map.of("status", "ok"))));
    server.createContext("/readyz", ex -> handle(ex, "GET", this::ready));
    server.createContext("/", ex -> handle(ex, null, e -> error(e, 404, "not_found", "no such endpoint: " + e.getRequestURI().getPath())));
  }

  public void start() {
    server.start();
  }

  /** Bound port (useful with port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  private interface Handler {
    void handle(HttpExchange ex) throws IOException;
  }

  private void handle(HttpExchange ex, String method, Handler h) {
    try (ex) {
      if (method != null && !method.equals(ex.getRequestMethod())) {
        ex.getResponseHeaders().add("Allow", method);
        error(ex, 405, "method_not_allowed", ex.getRequestMethod() + " not allowed; use " + method);
        return;
      }
      h.handle(ex);
    } catch (IOException | RuntimeException e) {
      LOG.warn("request {} {} failed: {}", ex.getRequestMethod(), ex.getRequestURI(), e.toString());
      try {
        error(ex, 500, RejectReason.INTERNAL_ERROR.code(), e.toString());
      } catch (IOException | RuntimeException ignored) {
        // response already started or client gone
      }
    }
  }

  private void predict(HttpExchange ex) throws IOException {
    long t0 = System.nanoTime();
    ActiveModel model = models.get();
    if (model == null) {
      error(ex, 503, "no_model", "no model version loaded yet; see /readyz");
      return;
    }
    byte[] body;
    try (InputStream in = ex.getRequestBody()) {
      body = in.readNBytes(config.maxBodyBytes() + 1);
      if (body.length > config.maxBodyBytes()) {
        // Read (and drop) the rest before answering: a server that closes a connection with unread
        // request bytes makes TCP reset it, and the client never sees the 413.
        long dropped = drain(in);
        ex.getResponseHeaders().set("Connection", "close");
        error(ex, 413, RejectReason.TOO_LARGE.code(), "request body exceeds serving.max-body-bytes="
            + config.maxBodyBytes() + (dropped >= DRAIN_LIMIT ? "" : " (" + (body.length + dropped) + " bytes sent)"));
        return;
      }
    }
    int k = topK(ex.getRequestURI(), model);
    byte[] pixels;
    try (Mat resized = decoder.decodeResized(body, model.predictor().width(), model.predictor().height())) {
      pixels = Pixels.toHwc(resized);
    } catch (ImageRejectedException e) {
      int status = switch (e.reason()) {
        case UNSUPPORTED_FORMAT -> 415;
        case TOO_LARGE -> 413;
        default -> 422;
      };
      error(ex, status, e.reason().code(), e.getMessage());
      return;
    }
    List<LabelScore> top = model.predictor().topK(List.of(pixels), k).get(0);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("model", model.metadata().getModelName());
    out.put("modelVersion", model.version());
    out.put("predictions", top);
    out.put("latencyMs", (System.nanoTime() - t0) / 1e6);
    reply(ex, 200, out);
  }

  private int topK(URI uri, ActiveModel model) {
    String q = uri.getRawQuery();
    int k = config.defaultTopK();
    if (q != null) {
      for (String kv : q.split("&")) {
        if (kv.startsWith("k=")) {
          k = (int) Math.max(1, Math.min(parseLong(kv.substring(2)), model.predictor().labels().size()));
        }
      }
    }
    return Math.min(k, model.predictor().labels().size());
  }

  private void models(HttpExchange ex) throws IOException {
    ActiveModel m = models.get();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("active", m == null ? null : describe(m));
    reply(ex, 200, out);
  }

  private void ready(HttpExchange ex) throws IOException {
    ActiveModel m = models.get();
    if (m == null) {
      reply(ex, 503, Map.of("ready", false, "reason", "no model version loaded yet"));
    } else {
      reply(ex, 200, Map.of("ready", true, "modelVersion", m.version()));
    }
  }

  /** JSON view of a model version (no weights). */
  public static Map<String, Object> describe(ActiveModel m) {
    ModelVersion v = m.metadata();
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("model", v.getModelName());
    d.put("version", v.getVersion());
    d.put("createdAt", v.getCreatedAt().toString());
    d.put("activatedAt", m.activatedAt().toString());
    d.put("sha256", v.getSha256());
    d.put("labels", v.getLabels());
    d.put("input", Map.of("height", v.getInput().getHeight(), "width", v.getInput().getWidth(),
        "channels", v.getInput().getChannels(), "layout", v.getInput().getLayout(), "scaling", v.getInput().getScaling()));
    d.put("metrics", v.getMetrics());
    var p = v.getProvenance();
    Map<String, Object> prov = new LinkedHashMap<>();
    prov.put("parentVersion", p.getParentVersion());
    prov.put("baseModel", p.getBaseModel());
    prov.put("runSeed", p.getRunSeed());
    prov.put("config", p.getConfig());
    prov.put("augmentationSpecHashes", p.getAugmentationSpecHashes());
    prov.put("offsets", p.getOffsets().stream().map(HttpApi::range).toList());
    prov.put("steps", p.getSteps());
    prov.put("samplesTrained", p.getSamplesTrained());
    prov.put("commit", p.getCommit());
    d.put("provenance", prov);
    return d;
  }

  private static Map<String, Object> range(OffsetRange r) {
    return Map.of("topic", r.getTopic(), "partition", r.getPartition(), "startOffset", r.getStartOffset(),
        "endOffset", r.getEndOffset());
  }

  /** Reads and discards up to DRAIN_LIMIT bytes; returns how many. */
  private static long drain(InputStream in) throws IOException {
    byte[] buf = new byte[64 * 1024];
    long total = 0;
    for (int n; total < DRAIN_LIMIT && (n = in.read(buf)) > 0; ) {
      total += n;
    }
    return total;
  }

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
    reply(ex, status, Map.of("error", code, "message", message == null ? code : message));
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
  }
}
