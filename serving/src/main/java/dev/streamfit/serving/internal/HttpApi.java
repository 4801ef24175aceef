package dev.streamfit.serving.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamfit.http.HttpFront;
import dev.streamfit.http.Multipart;
import dev.streamfit.http.Request;
import dev.streamfit.http.Response;
import dev.streamfit.imaging.ImageRejectedException;
import dev.streamfit.schemas.RejectReason;
import dev.streamfit.serving.ServingConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API (routes in {@code openapi.json}) on the stages' {@link HttpFront}, which has already enforced the
 * read deadlines and the header, body and in-flight byte caps. Every error is JSON
 * {@code {"error": code, "message": …}} with a 4xx status naming the client's mistake (400 malformed, 401 token,
 * 403 admin, 404, 405, 408 too slow, 409 refused version, 413 body cap, 415 format, 422 unreadable image, 429
 * saturated, 431 headers, 503 no model); 500 only for a failure of ours.
 */
public final class HttpApi implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonFactory JSON_FACTORY = JSON.getFactory();
  /** Most images in one {@code predict:batch} request. */
  static final int MAX_BATCH_ITEMS = 64;
  private static final String MODELS = "/v1/models/";

  private final ServingConfig config;
  private final PredictService service;
  private final Map<String, PredictService> more;
  private final ModelRegistry registry;
  private final TrainingFeed training;
  private final RecentPredictions recent;
  private final ServingMetrics metrics;
  private final ModelRoutes models;
  private final Map<String, ModelRoutes> moreModels = new java.util.HashMap<>();
  private final Semaphore inFlight;
  private final byte[] page;
  private final byte[] openapi;
  private HttpFront front;

  /**
   * The API of {@code service} (the default model, {@code /v1/predict}) and of {@code more} (further models by name,
   * {@code /v1/models/{name}/predict}).
   */
  public HttpApi(ServingConfig config, PredictService service, Map<String, PredictService> more, TrainingFeed training,
      RecentPredictions recent, ServingMetrics metrics) throws IOException {
    this.config = config;
    this.service = service;
    this.more = Map.copyOf(more);
    this.registry = service.registry();
    this.training = training;
    this.recent = recent;
    this.metrics = metrics;
    this.models = new ModelRoutes("/v1/models", config, registry, this::served);
    this.more.forEach((name, s) -> moreModels.put(name, new ModelRoutes(MODELS + name, config, s.registry(), this::served)));
    this.inFlight = new Semaphore(config.maxInFlight());
    this.page = resource("web/index.html");
    this.openapi = resource("openapi.json");
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = HttpApi.class.getResourceAsStream("/dev/streamfit/serving/" + name)) {
      if (in == null) {
        throw new IOException("bundled resource missing: " + name);
      }
      return in.readAllBytes();
    }
  }

  /** Binds and starts answering. */
  public void start() throws IOException {
    front = HttpFront.start(new HttpFront.Spec("streamfit", config.host(), config.port(), config.http(),
        config.maxBodyBytes(), "serving.max-body-bytes", "--max-body-bytes", config.httpThreads()), this::route,
        code -> metrics.rejected("http", code));
  }

  /** Bound port (useful with port 0). */
  public int port() {
    return front.port();
  }

  private interface Route {
    Response handle(Request r) throws Exception;
  }

  private Response route(Request r) {
    String p = r.path();
    if (p.equals("/v1/predict")) {
      return handle(r, "predict", "POST", true, x -> predict(x, service));
    } else if (p.equals("/v1/predict:batch")) {
      return handle(r, "predict_batch", "POST", true, x -> predictBatch(x, service));
    } else if (p.startsWith(MODELS) && (p.endsWith("/predict") || p.endsWith("/predict:batch"))) {
      boolean batch = p.endsWith(":batch");
      String name = p.substring(MODELS.length(), p.lastIndexOf('/'));
      PredictService named = name.equals(service.registry().modelName()) ? service : more.get(name);
      if (named == null) {
        return handle(r, "not_found", null, true, x -> error(404, "unknown_model", "model '"
            + (name.length() > 100 ? name.substring(0, 100) + "…" : name) + "' is not served here; served: " + served()));
      }
      return batch ? handle(r, "predict_batch", "POST", true, x -> predictBatch(x, named))
          : handle(r, "predict", "POST", true, x -> predict(x, named));
    } else if (p.startsWith(MODELS) && moreModels.containsKey(segment(p.substring(MODELS.length())))) {
      return handle(r, "models", null, true, moreModels.get(segment(p.substring(MODELS.length())))::handle);
    } else if (p.equals("/v1/models") || p.startsWith("/v1/models/")) {
      return handle(r, "models", null, true, models::handle);
    } else if (p.equals("/v1/training")) {
      return handle(r, "training", "GET", true, this::training);
    } else if (p.equals("/v1/predictions/recent")) {
      return handle(r, "recent", "GET", true, this::recent);
    } else if (p.equals("/metrics")) {
      return handle(r, "metrics", "GET", false, x -> bytes(200, "text/plain; version=0.0.4; charset=utf-8",
          metrics.scrape().getBytes(StandardCharsets.UTF_8)));
    } else if (p.equals("/healthz")) {
      return handle(r, "healthz", "GET", false, x -> reply(200, Map.of("status", "ok")));
    } else if (p.equals("/readyz")) {
      return handle(r, "readyz", "GET", false, this::ready);
    } else if (p.equals("/openapi.json")) {
      return handle(r, "openapi", "GET", false, x -> bytes(200, "application/json", openapi));
    } else if (p.equals("/") || p.equals("/index.html")) {
      return handle(r, "page", "GET", false, x -> bytes(200, "text/html; charset=utf-8", page));
    }
    return handle(r, "not_found", null, false, x -> error(404, "not_found", "no such endpoint: " + p
        + " (see /openapi.json)"));
  }

  private Response handle(Request r, String endpoint, String method, boolean auth, Route h) {
    long t0 = System.nanoTime();
    Response out;
    try {
      if (method != null && !method.equals(r.method())) {
        out = methodNotAllowed(r, method);
      } else if (auth && config.apiToken() != null && !bearer(r, config.apiToken())
          && !(config.adminToken() != null && bearer(r, config.adminToken()))) { // the admin token also opens the API
        out = error(401, "unauthorized", "missing or wrong bearer token (Authorization: Bearer …)")
            .with("WWW-Authenticate", "Bearer");
      } else {
        out = h.handle(r);
      }
    } catch (BadRequest e) {
      metrics.rejected("http", "bad_request");
      out = error(400, "bad_request", e.getMessage());
    } catch (Exception e) {
      LOG.warn("request {} {} failed", r.method(), r.path(), e);
      out = error(500, RejectReason.INTERNAL_ERROR.code(), e.toString());
    }
    metrics.request(endpoint, out.status(), System.nanoTime() - t0);
    return out.with("Cache-Control", "no-store");
  }

  static boolean bearer(Request r, String token) {
    String h = r.header("Authorization");
    if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    return MessageDigest.isEqual(h.substring(7).trim().getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
  }

  // ---- predictions ----

  /** {@code s} up to its first '/' (all of it when there is none). */
  private static String segment(String s) {
    int slash = s.indexOf('/');
    return slash < 0 ? s : s.substring(0, slash);
  }

  /** Names of the models served, the default first (null until the default is known, when none was configured). */
  List<String> served() {
    List<String> names = new ArrayList<>();
    names.add(service.registry().modelName());
    names.addAll(more.keySet().stream().sorted().toList());
    return names;
  }

  private Response predict(Request r, PredictService target) throws Exception {
    long t0 = System.nanoTime();
    byte[] image = r.body();
    String boundary = boundary(r);
    if (boundary != null) {
      List<Multipart.Part> files = files(r.body(), boundary);
      if (files.size() != 1) {
        return rejected(422, "bad_request", "multipart body must carry exactly one file, carried " + files.size()
            + " (use /v1/predict:batch for several)");
      }
      image = files.get(0).content();
    }
    if (!inFlight.tryAcquire()) {
      return overloaded();
    }
    try {
      InferenceQueue.Prediction p = target.predict(image, topK(r));
      double ms = (System.nanoTime() - t0) / 1e6;
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("model", target.registry().modelName());
      out.put("modelVersion", p.version());
      out.put("predictions", p.top());
      out.put("latencyMs", ms);
      out.put("forwardMs", p.forwardMs());
      out.put("batchSize", p.batchSize());
      out.put("queueMs", p.queueMs());
      remember("http", null, p, ms);
      return reply(200, out).with("X-Model-Version", Long.toString(p.version()));
    } catch (ImageRejectedException e) {
      return rejected(e.reason().httpStatus(), e.reason().code(), e.getMessage());
    } catch (PredictService.NoModelException e) {
      return error(503, "no_model", e.getMessage());
    } finally {
      inFlight.release();
    }
  }

  private Response predictBatch(Request r, PredictService target) throws Exception {
    long t0 = System.nanoTime();
    int most = Math.min(MAX_BATCH_ITEMS, config.maxInFlight());
    List<byte[]> images = new ArrayList<>();
    String boundary = boundary(r);
    if (boundary != null) {
      files(r.body(), boundary).forEach(p -> images.add(p.content()));
    } else {
      String problem = jsonImages(r.body(), images, most);
      if (problem != null) {
        return rejected(422, problem.startsWith("a batch") ? "bad_batch_size" : "bad_request", problem);
      }
    }
    if (images.isEmpty() || images.size() > most) {
      return rejected(422, "bad_batch_size", "a batch carries 1 to " + most + " images, this one " + images.size());
    }
    if (!inFlight.tryAcquire(images.size())) {
      return overloaded();
    }
    try {
      List<PredictService.Outcome> outs = target.predictAll(images, topK(r));
      double ms = (System.nanoTime() - t0) / 1e6;
      List<Map<String, Object>> results = new ArrayList<>();
      for (int i = 0; i < outs.size(); i++) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("index", i);
        PredictService.Outcome o = outs.get(i);
        if (o.rejected() != null) {
          item.put("status", o.rejected().reason().httpStatus());
          item.put("error", o.rejected().reason().code());
          item.put("message", o.rejected().getMessage());
          metrics.rejected("http", o.rejected().reason().code());
        } else {
          item.put("status", 200);
          item.put("modelVersion", o.prediction().version());
          item.put("predictions", o.prediction().top());
          remember("http", null, o.prediction(), ms);
        }
        results.add(item);
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("model", target.registry().modelName());
      out.put("results", results);
      out.put("latencyMs", ms);
      return reply(200, out);
    } catch (PredictService.NoModelException e) {
      return error(503, "no_model", e.getMessage());
    } finally {
      inFlight.release(images.size());
    }
  }

  /**
   * Streams {@code {"images": [base64, …]}} into {@code images}, decoding each string as it is read (no tree of the
   * whole body is built); returns null, or what is wrong with the body.
   */
  static String jsonImages(byte[] body, List<byte[]> images, int most) {
    String shape = "body must be multipart/form-data files or JSON {\"images\": [base64, …]}";
    try (JsonParser p = JSON_FACTORY.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return shape;
      }
      boolean found = false;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        if (!"images".equals(field)) {
          p.skipChildren();
          continue;
        }
        if (t != JsonToken.START_ARRAY) {
          return "JSON body must be {\"images\": [base64, …]}";
        }
        found = true;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
          if (t != JsonToken.VALUE_STRING) {
            return "images[" + images.size() + "] is not a base64 string";
          }
          if (images.size() == most) {
            return "a batch carries 1 to " + most + " images, this one more";
          }
          try {
            images.add(p.getBinaryValue());
          } catch (IOException e) {
            return "images[" + images.size() + "] is not base64: " + e.getMessage().lines().findFirst().orElse("");
          }
        }
      }
      return found ? null : "JSON body must be {\"images\": [base64, …]}";
    } catch (IOException e) {
      return shape;
    }
  }

  private void remember(String source, String id, InferenceQueue.Prediction p, double ms) {
    if (!p.top().isEmpty()) {
      recent.add(new RecentPredictions.Entry(Instant.now(), source, id, p.version(), p.top().get(0).label(),
          p.top().get(0).probability(), ms));
    }
  }

  private Response overloaded() {
    return rejected(429, "overloaded", "more than serving.max-in-flight=" + config.maxInFlight()
        + " predictions in flight; retry later").with("Retry-After", "1");
  }

  private Response rejected(int status, String code, String message) {
    metrics.rejected("http", code);
    return error(status, code, message);
  }

  /** A malformed request (answered 400 with the message). */
  private static final class BadRequest extends RuntimeException {
    BadRequest(String message) {
      super(message);
    }
  }

  private static String boundary(Request r) {
    try {
      return Multipart.boundary(r.header("Content-Type"));
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

  private int topK(Request r) {
    String k = r.query("k");
    if (k == null) {
      return config.defaultTopK();
    }
    try {
      return (int) Math.max(1, Math.min(Long.parseLong(k.trim()), 1000));
    } catch (NumberFormatException e) {
      return config.defaultTopK();
    }
  }

  // ---- feeds, health ----

  private Response training(Request r) throws IOException {
    String model = r.query("model");
    return reply(200, Map.of("points", training.points(model != null ? model : registry.modelName())));
  }

  private Response recent(Request r) throws IOException {
    return reply(200, Map.of("predictions", recent.list().stream().map(e -> {
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

  private Response ready(Request r) throws IOException {
    ModelHandle h = registry.peek();
    if (h == null) {
      return reply(503, Map.of("ready", false, "reason", registry.recovered()
          ? "no model version has verified yet" : "reading the models topic"));
    }
    return reply(200, Map.of("ready", true, "modelVersion", h.version()));
  }

  static Response methodNotAllowed(Request r, String allowed) {
    return error(405, "method_not_allowed", r.method() + " not allowed here; use " + allowed).with("Allow", allowed);
  }

  static Response error(int status, String code, String message) {
    return Response.error(status, code, message == null ? code : message);
  }

  static Response reply(int status, Object body) throws IOException {
    return Response.json(status, JSON.writeValueAsBytes(body));
  }

  private static Response bytes(int status, String type, byte[] bytes) {
    return new Response(status, type, Map.of(), bytes);
  }

  @Override
  public void close() {
    if (front != null) {
      front.close();
    }
  }
}
