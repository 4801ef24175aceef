package dev.streamfit.serving.internal;

import dev.streamfit.http.HttpError;
import dev.streamfit.http.HttpFront;
import dev.streamfit.http.Json;
import dev.streamfit.http.Request;
import dev.streamfit.http.RequestHandler;
import dev.streamfit.http.Response;
import dev.streamfit.http.Router;
import dev.streamfit.serving.ServingConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * The HTTP API (routes in {@code openapi.json}) on the stages' {@link HttpFront}, which has already enforced the
 * read deadlines and the header, body and in-flight byte caps. Routing, methods and errors follow the stages' one
 * rule set ({@link Router}, {@link HttpError}): every error is JSON {@code {"error": code, "message": …}} with the
 * status naming the client's mistake; 500 only for a failure of ours. One resource class per noun:
 * {@link PredictResource}, {@link ModelResource}, {@link FeedbackResource}; the feeds and health checks are here.
 */
public final class HttpApi implements AutoCloseable {
  private static final String MODELS = "/v1/models/";

  private final ServingConfig config;
  private final PredictService service;
  private final Map<String, PredictService> more;
  private final ModelRegistry registry;
  private final TrainingFeed training;
  private final RecentPredictions recent;
  private final ServingMetrics metrics;
  private final Router router = new Router(" (see /openapi.json)");
  private final Map<String, PredictResource> predictions = new LinkedHashMap<>();
  private final Map<String, ModelResource> models = new LinkedHashMap<>();
  private final byte[] page;
  private final byte[] openapi;
  private HttpFront front;

  /**
   * The API of {@code service} (the default model, {@code /v1/predict}) and of {@code more} (further models by name,
   * {@code /v1/models/{name}/predict}); feedback goes to {@code feedback}.
   */
  public HttpApi(ServingConfig config, PredictService service, Map<String, PredictService> more, TrainingFeed training,
      RecentPredictions recent, ServingMetrics metrics, FeedbackLoop feedback) throws IOException {
    this.config = config;
    this.service = service;
    this.more = Map.copyOf(more);
    this.registry = service.registry();
    this.training = training;
    this.recent = recent;
    this.metrics = metrics;
    this.page = resource("web/index.html");
    this.openapi = resource("openapi.json");
    Semaphore inFlight = new Semaphore(config.maxInFlight());
    Explanations explanations = new Explanations();
    PredictResource main = new PredictResource(config, service, inFlight, metrics, recent, explanations);
    this.more.forEach((name, s) -> {
      predictions.put(name, new PredictResource(config, s, inFlight, metrics, recent, explanations));
      models.put(name, new ModelResource(MODELS + name, config, s.registry(), this::served));
    });
    ModelResource mainModels = new ModelResource("/v1/models", config, registry, this::served);
    FeedbackResource feedbackResource = new FeedbackResource(feedback);
    InferenceProtocol v2 = new InferenceProtocol(this::serviceOf, this::served, inFlight,
        Math.min(PredictResource.MAX_BATCH_ITEMS, config.maxInFlight()), recent);
    router.route("POST", "/v1/predict", api(main::predict))
        .route("POST", "/v1/predict:batch", api(main::predictBatch))
        .route("GET", "/v1/models", api(mainModels::handle))
        .route("GET", MODELS + "*", api(r -> byName(r, main, mainModels)))
        .route("POST", MODELS + "*", api(r -> byName(r, main, mainModels)))
        .route("POST", "/v1/feedback", api(feedbackResource::post))
        .route("GET", "/v1/training", api(this::training))
        .route("GET", "/v1/runs", api(this::runs))
        .route("GET", "/v1/runs.csv", api(this::runsCsv))
        .route("GET", "/v1/predictions/recent", api(this::recent))
        .route("GET", "/v2", v2(v2::server))
        .route("GET", "/v2/health/live", v2(v2::live))
        .route("GET", "/v2/health/ready", v2(v2::ready))
        .route("GET", "/v2/models/*", v2(v2::model))
        .route("POST", "/v2/models/*", v2(v2::model))
        .route("GET", "/metrics", r -> new Response(200, "text/plain; version=0.0.4; charset=utf-8", Map.of(),
            metrics.scrape().getBytes(StandardCharsets.UTF_8)))
        .route("GET", "/healthz", r -> Json.reply(200, Map.of("status", "ok")))
        .route("GET", "/readyz", this::ready)
        .route("GET", "/openapi.json", r -> new Response(200, "application/json", Map.of(), openapi))
        .route("GET", "/", r -> new Response(200, "text/html; charset=utf-8", Map.of(), page))
        .route("GET", "/index.html", r -> new Response(200, "text/html; charset=utf-8", Map.of(), page));
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
        config.maxBodyBytes(), "serving.max-body-bytes", "--max-body-bytes", config.httpThreads()), this::handle,
        code -> metrics.rejected("http", code));
  }

  /** Every route served, as {@link Router#routes()} lists them. */
  public List<String> routes() {
    return router.routes();
  }

  /** Bound port (useful with port 0). */
  public int port() {
    return front.port();
  }

  /** Every request: routed, timed by endpoint and status, never cached. */
  private Response handle(Request r) throws Exception {
    long t0 = System.nanoTime();
    Response out;
    try {
      out = router.handle(r);
    } catch (HttpError e) {
      metrics.rejected("http", e.code());
      out = e.toResponse();
    }
    metrics.request(endpoint(r.path()), out.status(), System.nanoTime() - t0);
    return out.with("Cache-Control", "no-store");
  }

  /** The endpoint label of {@code path} for metrics (a small fixed set). */
  private static String endpoint(String p) {
    if (p.startsWith("/v2/")) {
      return p.endsWith("/infer") ? "infer" : "v2";
    } else if (p.endsWith("/predict")) {
      return "predict";
    } else if (p.endsWith("/predict:batch")) {
      return "predict_batch";
    } else if (p.startsWith("/v1/models")) {
      return "models";
    }
    return switch (p) {
      case "/v1/feedback" -> "feedback";
      case "/v1/training" -> "training";
      case "/v1/runs", "/v1/runs.csv" -> "runs";
      case "/v1/predictions/recent" -> "recent";
      case "/metrics", "/healthz", "/readyz" -> p.substring(1);
      case "/openapi.json" -> "openapi";
      case "/v2" -> "v2";
      case "/", "/index.html" -> "page";
      default -> "not_found";
    };
  }

  /** A {@code /v2/*} handler: the API token as {@code /v1}, errors in the Open Inference Protocol's shape. */
  private RequestHandler v2(RequestHandler h) {
    return InferenceProtocol.errorsAsV2(api(h), code -> metrics.rejected("http", code));
  }

  /** The service of the model served as {@code name}; null when none is. */
  private PredictService serviceOf(String name) {
    return name.equals(registry.modelName()) ? service : more.get(name);
  }

  /** A {@code /v1/*} handler: needs the API token when one is set (the admin token also opens it). */
  private RequestHandler api(RequestHandler h) {
    return r -> {
      if (config.apiToken() != null && !bearer(r, config.apiToken())
          && !(config.adminToken() != null && bearer(r, config.adminToken()))) {
        throw new HttpError(401, "unauthorized", "missing or wrong bearer token (Authorization: Bearer …)",
            Map.of("WWW-Authenticate", "Bearer"));
      }
      return h.handle(r);
    };
  }

  /** {@code /v1/models/…}: a further model's predictions or versions, or the default model's versions. */
  private Response byName(Request r, PredictResource main, ModelResource mainModels) throws Exception {
    String rest = r.path().substring(MODELS.length());
    int slash = rest.indexOf('/');
    String name = slash < 0 ? rest : rest.substring(0, slash);
    String tail = slash < 0 ? "" : rest.substring(slash);
    if (tail.equals("/predict") || tail.equals("/predict:batch")) {
      PredictResource p = name.equals(registry.modelName()) ? main : predictions.get(name);
      if (p == null) {
        throw HttpError.notFound("unknown_model", "model '" + (name.length() > 100 ? name.substring(0, 100) + "…" : name)
            + "' is not served here; served: " + served());
      }
      if (!r.method().equals("POST")) {
        throw HttpError.methodNotAllowed(r.method(), "POST");
      }
      return tail.equals("/predict") ? p.predict(r) : p.predictBatch(r);
    }
    ModelResource m = models.get(name);
    if (m == null && name.equals(registry.modelName())) { // the default model by its name, as its predict is
      m = new ModelResource(MODELS + name, config, registry, this::served);
    }
    return m != null ? m.handle(r) : mainModels.handle(r);
  }

  static boolean bearer(Request r, String token) {
    String h = r.header("Authorization");
    if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    return MessageDigest.isEqual(h.substring(7).trim().getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
  }

  /** Names of the models served, the default first (null until the default is known, when none was configured). */
  List<String> served() {
    List<String> names = new ArrayList<>();
    names.add(service.registry().modelName());
    names.addAll(more.keySet().stream().sorted().toList());
    return names;
  }

  /** {@code GET /v1/predictions/recent}: the last predictions, newest first. */
  record Recent(List<RecentItem> predictions) {}

  /** One recent prediction; {@code at} is ISO-8601, {@code requestId} the prediction id (HTTP) or request id (topic). */
  record RecentItem(String at, String source, String requestId, long modelVersion, String label, double probability,
      double latencyMs) {}

  /** {@code GET /readyz}. */
  record Ready(boolean ready, Long modelVersion, String reason) {}

  private Response training(Request r) {
    String model = r.query("model");
    return Json.reply(200, Map.of("points", training.points(model != null ? model : registry.modelName())));
  }

  /** {@code GET /v1/runs[?model=]}: every trainer run of the model, its configuration and learning curve. */
  private Response runs(Request r) {
    String model = r.query("model");
    return Json.reply(200, Map.of("runs", training.runs(model != null ? model : registry.modelName())));
  }

  /** {@code GET /v1/runs.csv[?run=a,b][&model=]}: the chosen runs' curves as CSV (all runs without {@code run}). */
  private Response runsCsv(Request r) {
    String model = r.query("model");
    String chosen = r.query("run");
    List<String> ids = chosen == null || chosen.isBlank() ? null : List.of(chosen.split(","));
    List<Map<String, Object>> runs = training.runs(model != null ? model : registry.modelName()).stream()
        .filter(x -> ids == null || ids.contains((String) x.get("run"))).toList();
    return new Response(200, "text/csv; charset=utf-8", Map.of("Content-Disposition", "attachment; filename=\"runs.csv\""),
        RunsCsv.of(runs).getBytes(StandardCharsets.UTF_8));
  }

  private Response recent(Request r) {
    return Json.reply(200, new Recent(recent.list().stream().map(e -> new RecentItem(e.at().toString(), e.source(),
        e.requestId(), e.modelVersion(), e.label(), e.probability(), e.latencyMs())).toList()));
  }

  private Response ready(Request r) {
    ModelHandle h = registry.peek();
    if (h == null) {
      return Json.reply(503, new Ready(false, null, registry.recovered()
          ? "no model version has verified yet" : "reading the models topic"));
    }
    return Json.reply(200, new Ready(true, h.version(), null));
  }

  @Override
  public void close() {
    if (front != null) {
      front.close();
    }
  }
}
