package dev.streamfit.serving.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.streamfit.imaging.ImageRejectedException;
import dev.streamfit.schemas.HttpRequests;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.Multipart;
import dev.streamfit.schemas.OffsetRange;
import dev.streamfit.schemas.RejectReason;
import dev.streamfit.serving.ModelState;
import dev.streamfit.serving.ServingConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API on the JDK's HTTP server (routes in {@code openapi.json}). Every error is JSON
 * {@code {"error": code, "message": …}} with a 4xx status naming the client's mistake (401 token, 404,
 * 405, 409 refused version, 413 body cap, 415 format, 422 unreadable image, 429 saturated, 503 no
 * model); 500 only for a failure of ours.
 */
public final class HttpApi implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Most images in one {@code predict:batch} request. */
  static final int MAX_BATCH_ITEMS = 64;

  private final ServingConfig config;
  private final PredictService service;
  private final ModelRegistry registry;
  private final TrainingFeed training;
  private final RecentPredictions recent;
  private final ServingMetrics metrics;
  private final Semaphore inFlight;
  private final HttpServer server;
  private final ExecutorService executor;
  private final byte[] page;
  private final byte[] openapi;

  public HttpApi(ServingConfig config, PredictService service, TrainingFeed training, RecentPredictions recent,
      ServingMetrics metrics) throws IOException {
    this.config = config;
    this.service = service;
    this.registry = service.registry();
    this.training = training;
    this.recent = recent;
    this.metrics = metrics;
    this.inFlight = new Semaphore(config.maxInFlight());
    this.page = resource("web/index.html");
    this.openapi = resource("openapi.json");
    this.server = HttpRequests.newServer(new InetSocketAddress(config.host(), config.port()), 256);
    AtomicInteger n = new AtomicInteger();
    this.executor = Executors.newFixedThreadPool(config.httpThreads(), r -> {
      Thread t = new Thread(r, "streamfit-http-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/v1/predict", ex -> handle(ex, "predict", "POST", true, this::predict));
    server.createContext("/v1/predict:batch", ex -> handle(ex, "predict_batch", "POST", true, this::predictBatch));
    server.createContext("/v1/models", ex -> handle(ex, "models", null, true, this::models));
    server.createContext("/v1/training", ex -> handle(ex, "training", "GET", true, this::training));
    server.createContext("/v1/predictions", ex -> handle(ex, "recent", "GET", true, this::recent));
    server.createContext("/metrics", ex -> handle(ex, "metrics", "GET", false, this::metrics));
    server.createContext("/healthz", ex -> handle(ex, "healthz", "GET", false, e -> reply(e, 200, Map.of("status", "ok"))));
    server.createContext("/readyz", ex -> handle(ex, "readyz", "GET", false, this::ready));
    server.createContext("/openapi.json", ex -> handle(ex, "openapi", "GET", false,
        e -> bytes(e, 200, "application/json", openapi)));
    server.createContext("/", ex -> handle(ex, "page", "GET", false, this::page));
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = HttpApi.class.getResourceAsStream("/dev/streamfit/serving/" + name)) {
      if (in == null) {
        throw new IOException("bundled resource missing: " + name);
      }
      return in.readAllBytes();
    }
  }

  public void start() {
    server.start();
  }

  /** Bound port (useful with port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  private interface Handler {
    int handle(HttpExchange ex) throws Exception;
  }

  private void handle(HttpExchange ex, String endpoint, String method, boolean auth, Handler h) {
    long t0 = System.nanoTime();
    int status = 500;
    // Not try-with-resources: that would close the exchange before the catch blocks answer.
    try {
      if (method != null && !method.equals(ex.getRequestMethod())) {
        ex.getResponseHeaders().add("Allow", method);
        status = error(ex, 405, "method_not_allowed", ex.getRequestMethod() + " not allowed here; use " + method);
        return;
      }
      if (auth && config.apiToken() != null && !bearer(ex, config.apiToken())) {
        ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        status = error(ex, 401, "unauthorized", "missing or wrong bearer token (Authorization: Bearer …)");
        return;
      }
      status = h.handle(ex);
    } catch (BadRequest e) {
      try {
        metrics.rejected("http", "bad_request");
        status = error(ex, 400, "bad_request", e.getMessage());
      } catch (IOException | RuntimeException ignored) {
        // client gone
      }
    } catch (Exception e) {
      LOG.warn("request {} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
      try {
        status = error(ex, 500, RejectReason.INTERNAL_ERROR.code(), e.toString());
      } catch (IOException | RuntimeException ignored) {
        // response already started or client gone
      }
    } finally {
      ex.close();
      metrics.request(endpoint, status, System.nanoTime() - t0);
    }
  }

  private static boolean bearer(HttpExchange ex, String token) {
    String h = ex.getRequestHeaders().getFirst("Authorization");
    if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    return MessageDigest.isEqual(h.substring(7).trim().getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
  }

  // ---- predictions ----

  private int predict(HttpExchange ex) throws Exception {
    if (!ex.getRequestURI().getPath().equals("/v1/predict")) {
      return notFound(ex);
    }
    long t0 = System.nanoTime();
    byte[] body = body(ex);
    if (body == null) {
      return 413;
    }
    byte[] image = body;
    String boundary = boundary(ex);
    if (boundary != null) {
      List<Multipart.Part> files = files(body, boundary);
      if (files.size() != 1) {
        return rejected(ex, 422, "bad_request", "multipart body must carry exactly one file, carried " + files.size()
            + " (use /v1/predict:batch for several)");
      }
      image = files.get(0).content();
    }
    if (!inFlight.tryAcquire()) {
      return overloaded(ex);
    }
    try {
      InferenceQueue.Prediction p = service.predict(image, topK(ex));
      double ms = (System.nanoTime() - t0) / 1e6;
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("model", registry.modelName());
      out.put("modelVersion", p.version());
      out.put("predictions", p.top());
      out.put("latencyMs", ms);
      out.put("forwardMs", p.forwardMs());
      out.put("batchSize", p.batchSize());
      out.put("queueMs", p.queueMs());
      remember("http", null, p, ms);
      ex.getResponseHeaders().set("X-Model-Version", Long.toString(p.version()));
      return reply(ex, 200, out);
    } catch (ImageRejectedException e) {
      return rejected(ex, e.reason().httpStatus(), e.reason().code(), e.getMessage());
    } catch (PredictService.NoModelException e) {
      return error(ex, 503, "no_model", e.getMessage());
    } finally {
      inFlight.release();
    }
  }

  private int predictBatch(HttpExchange ex) throws Exception {
    long t0 = System.nanoTime();
    byte[] body = body(ex);
    if (body == null) {
      return 413;
    }
    List<byte[]> images = new ArrayList<>();
    String boundary = boundary(ex);
    if (boundary != null) {
      files(body, boundary).forEach(p -> images.add(p.content()));
    } else {
      JsonNode node;
      try {
        node = JSON.readTree(body);
      } catch (IOException e) {
        return rejected(ex, 422, "bad_request", "body must be multipart/form-data files or JSON {\"images\": [base64, …]}");
      }
      JsonNode arr = node == null ? null : node.get("images");
      if (arr == null || !arr.isArray()) {
        return rejected(ex, 422, "bad_request", "JSON body must be {\"images\": [base64, …]}");
      }
      for (JsonNode n : arr) {
        try {
          images.add(Base64.getDecoder().decode(n.asText()));
        } catch (IllegalArgumentException e) {
          return rejected(ex, 422, "bad_request", "images[" + images.size() + "] is not base64: " + e.getMessage());
        }
      }
    }
    if (images.isEmpty() || images.size() > Math.min(MAX_BATCH_ITEMS, config.maxInFlight())) {
      return rejected(ex, 422, "bad_batch_size", "a batch carries 1 to " + Math.min(MAX_BATCH_ITEMS, config.maxInFlight())
          + " images, this one " + images.size());
    }
    if (!inFlight.tryAcquire(images.size())) {
      return overloaded(ex);
    }
    try {
      List<PredictService.Outcome> outs = service.predictAll(images, topK(ex));
      double ms = (System.nanoTime() - t0) / 1e6;
      List<Map<String, Object>> results = new ArrayList<>();
      for (int i = 0; i < outs.size(); i++) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("index", i);
        PredictService.Outcome o = outs.get(i);
        if (o.rejected() != null) {
          r.put("status", o.rejected().reason().httpStatus());
          r.put("error", o.rejected().reason().code());
          r.put("message", o.rejected().getMessage());
          metrics.rejected("http", o.rejected().reason().code());
        } else {
          r.put("status", 200);
          r.put("modelVersion", o.prediction().version());
          r.put("predictions", o.prediction().top());
          remember("http", null, o.prediction(), ms);
        }
        results.add(r);
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("model", registry.modelName());
      out.put("results", results);
      out.put("latencyMs", ms);
      return reply(ex, 200, out);
    } catch (PredictService.NoModelException e) {
      return error(ex, 503, "no_model", e.getMessage());
    } finally {
      inFlight.release(images.size());
    }
  }

  private void remember(String source, String id, InferenceQueue.Prediction p, double ms) {
    if (!p.top().isEmpty()) {
      recent.add(new RecentPredictions.Entry(Instant.now(), source, id, p.version(), p.top().get(0).label(),
          p.top().get(0).probability(), ms));
    }
  }

  private int overloaded(HttpExchange ex) throws IOException {
    ex.getResponseHeaders().set("Retry-After", "1");
    return rejected(ex, 429, "overloaded", "more than serving.max-in-flight=" + config.maxInFlight()
        + " predictions in flight; retry later");
  }

  private int rejected(HttpExchange ex, int status, String code, String message) throws IOException {
    metrics.rejected("http", code);
    return error(ex, status, code, message);
  }


  /** A malformed request (answered 400 with the message). */
  private static final class BadRequest extends RuntimeException {
    BadRequest(String message) {
      super(message);
    }
  }

  private static String boundary(HttpExchange ex) {
    try {
      return Multipart.boundary(ex.getRequestHeaders().getFirst("Content-Type"));
    } catch (IllegalArgumentException e) {
      throw new BadRequest(e.getMessage());
    }
  }

  private static List<Multipart.Part> files(byte[] body, String boundary) {
    try {
      return Multipart.parse(body, boundary).stream().filter(p -> p.filename() != null || "file".equals(p.name())
          || "image".equals(p.name())).toList();
    } catch (IllegalArgumentException e) {
      throw new BadRequest("malformed multipart/form-data body: " + e.getMessage());
    }
  }

  /** The request body, or null after answering 413. */
  private byte[] body(HttpExchange ex) throws IOException {
    try (InputStream in = ex.getRequestBody()) {
      HttpRequests.Body body = HttpRequests.read(in, config.maxBodyBytes());
      if (body.tooLarge()) {
        if (!body.complete()) {
          ex.getResponseHeaders().set("Connection", "close"); // the rest stays unread: this connection is done
        }
        rejected(ex, 413, RejectReason.TOO_LARGE.code(), "request body exceeds serving.max-body-bytes="
            + config.maxBodyBytes() + (body.complete() ? " (" + body.sent() + " bytes sent)" : ""));
        return null;
      }
      return body.bytes();
    }
  }

  private int topK(HttpExchange ex) {
    String k = query(ex, "k");
    if (k == null) {
      return config.defaultTopK();
    }
    try {
      return (int) Math.max(1, Math.min(Long.parseLong(k.trim()), 1000));
    } catch (NumberFormatException e) {
      return config.defaultTopK();
    }
  }

  private static String query(HttpExchange ex, String key) {
    return HttpRequests.query(ex.getRequestURI(), key);
  }

  // ---- models ----

  private int models(HttpExchange ex) throws Exception {
    String path = ex.getRequestURI().getPath();
    String rest = path.substring("/v1/models".length());
    if (rest.isEmpty() || rest.equals("/")) {
      if (!ex.getRequestMethod().equals("GET")) {
        return methodNotAllowed(ex, "GET");
      }
      ModelHandle h = registry.peek();
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("model", registry.modelName());
      out.put("activeVersion", h == null ? null : h.version());
      out.put("active", h == null ? null : describe(registry.version(h.version())));
      out.put("versions", registry.versions().stream().map(HttpApi::describe).toList());
      return reply(ex, 200, out);
    }
    boolean activate = rest.endsWith(":activate");
    String v = rest.substring(1, activate ? rest.length() - ":activate".length() : rest.length());
    long version;
    try {
      version = Long.parseLong(v);
    } catch (NumberFormatException e) {
      return notFound(ex);
    }
    if (!activate) {
      if (!ex.getRequestMethod().equals("GET")) {
        return methodNotAllowed(ex, "GET");
      }
      ModelState s = registry.version(version);
      return s == null ? error(ex, 404, "unknown_version", "no version " + version + " on " + config.topics().models())
          : reply(ex, 200, describe(s));
    }
    if (!ex.getRequestMethod().equals("POST")) {
      return methodNotAllowed(ex, "POST");
    }
    boolean loopback = ex.getRemoteAddress().getAddress().isLoopbackAddress();
    boolean admin = config.adminToken() != null && bearer(ex, config.adminToken());
    if (!loopback && !admin) {
      return error(ex, 403, "forbidden", "activating a version needs a loopback client or the admin token"
          + (config.adminToken() == null ? " (none configured: set STREAMFIT_ADMIN_TOKEN)" : ""));
    }
    try {
      ModelState s = registry.activate(version).get(120, TimeUnit.SECONDS);
      LOG.info("admin ({}) activated v{}", ex.getRemoteAddress(), version);
      return reply(ex, 200, describe(s));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IllegalArgumentException x) {
        return error(ex, 404, "unknown_version", x.getMessage());
      }
      if (e.getCause() instanceof ModelVerifier.VerificationException x) {
        return error(ex, 409, x.reason(), "version " + version + " fails verification: " + x.getMessage());
      }
      throw e;
    } catch (TimeoutException e) {
      return error(ex, 503, "timeout", "activation still running after 120 s");
    }
  }

  /** JSON view of a version (no weights). */
  static Map<String, Object> describe(ModelState s) {
    if (s == null) {
      return null;
    }
    ModelVersion v = s.metadata();
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("model", v.getModelName());
    d.put("version", v.getVersion());
    d.put("status", s.status());
    d.put("reason", s.reason());
    d.put("statusChangedAt", s.changedAt().toString());
    d.put("createdAt", v.getCreatedAt().toString());
    d.put("offset", s.offset());
    d.put("sha256", v.getSha256());
    d.put("labels", v.getLabels().stream().map(String::valueOf).toList());
    d.put("input", Map.of("height", v.getInput().getHeight(), "width", v.getInput().getWidth(),
        "channels", v.getInput().getChannels(), "layout", String.valueOf(v.getInput().getLayout()),
        "scaling", String.valueOf(v.getInput().getScaling())));
    Map<String, Double> m = new LinkedHashMap<>();
    v.getMetrics().forEach((k, val) -> m.put(String.valueOf(k), val));
    d.put("metrics", m);
    var p = v.getProvenance();
    Map<String, Object> prov = new LinkedHashMap<>();
    prov.put("parentVersion", p.getParentVersion());
    prov.put("baseModel", String.valueOf(p.getBaseModel()));
    prov.put("runSeed", p.getRunSeed());
    Map<String, String> cfg = new LinkedHashMap<>();
    p.getConfig().forEach((k, val) -> cfg.put(String.valueOf(k), String.valueOf(val)));
    prov.put("config", cfg);
    prov.put("augmentationSpecHashes", p.getAugmentationSpecHashes().stream().map(String::valueOf).toList());
    prov.put("offsets", p.getOffsets().stream().map(HttpApi::range).toList());
    prov.put("steps", p.getSteps());
    prov.put("samplesTrained", p.getSamplesTrained());
    prov.put("commit", p.getCommit() == null ? null : p.getCommit().toString());
    d.put("provenance", prov);
    return d;
  }

  private static Map<String, Object> range(OffsetRange r) {
    return Map.of("topic", String.valueOf(r.getTopic()), "partition", r.getPartition(), "startOffset", r.getStartOffset(),
        "endOffset", r.getEndOffset());
  }

  // ---- page, feeds, health ----

  private int training(HttpExchange ex) throws IOException {
    String model = query(ex, "model");
    return reply(ex, 200, Map.of("points", training.points(model != null ? model : registry.modelName())));
  }

  private int recent(HttpExchange ex) throws IOException {
    if (!ex.getRequestURI().getPath().equals("/v1/predictions/recent")) {
      return notFound(ex);
    }
    return reply(ex, 200, Map.of("predictions", recent.list().stream().map(e -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("at", e.at().toString());
      m.put("source", e.source());
      m.put("requestId", e.requestId());
      m.put("modelVersion", e.modelVersion());
      m.put("label", e.label());
      m.put("probability", e.probability());
      m.put("latencyMs", e.latencyMs());
      return m;
    }).toList()));
  }

  private int metrics(HttpExchange ex) throws IOException {
    return bytes(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape().getBytes(StandardCharsets.UTF_8));
  }

  private int ready(HttpExchange ex) throws IOException {
    ModelHandle h = registry.peek();
    if (h == null) {
      return reply(ex, 503, Map.of("ready", false, "reason", registry.recovered()
          ? "no model version has verified yet" : "reading the models topic"));
    }
    return reply(ex, 200, Map.of("ready", true, "modelVersion", h.version()));
  }

  private int page(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    if (!path.equals("/") && !path.equals("/index.html")) {
      return notFound(ex);
    }
    return bytes(ex, 200, "text/html; charset=utf-8", page);
  }

  private int notFound(HttpExchange ex) throws IOException {
    return error(ex, 404, "not_found", "no such endpoint: " + ex.getRequestURI().getPath() + " (see /openapi.json)");
  }

  private int methodNotAllowed(HttpExchange ex, String allowed) throws IOException {
    ex.getResponseHeaders().add("Allow", allowed);
    return error(ex, 405, "method_not_allowed", ex.getRequestMethod() + " not allowed here; use " + allowed);
  }

  private static int error(HttpExchange ex, int status, String code, String message) throws IOException {
    return reply(ex, status, Map.of("error", code, "message", message == null ? code : message));
  }

  private static int reply(HttpExchange ex, int status, Object body) throws IOException {
    return bytes(ex, status, "application/json", JSON.writeValueAsBytes(body));
  }

  private static int bytes(HttpExchange ex, int status, String type, byte[] bytes) throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(bytes);
    }
    return status;
  }

  @Override
  public void close() {
    server.stop(1);
    executor.shutdownNow();
  }
}
