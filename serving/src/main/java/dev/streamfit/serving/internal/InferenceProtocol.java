package dev.streamfit.serving.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.streamfit.engine.ClassProbability;
import dev.streamfit.http.HttpError;
import dev.streamfit.http.Json;
import dev.streamfit.http.Request;
import dev.streamfit.http.RequestHandler;
import dev.streamfit.http.Response;
import dev.streamfit.serving.ModelState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The Open Inference Protocol's REST API (KServe "V2", also spoken by Triton, Seldon MLServer and OpenVINO Model
 * Server) over the models served here: {@code GET /v2}, {@code /v2/health/live}, {@code /v2/health/ready},
 * {@code GET /v2/models/{name}[/versions/{v}]}, {@code …/ready}, and {@code POST …/infer}. An inference goes through
 * the same {@link PredictService} as {@code /v1/predict}: the rollout picks the version (canary, shadow copies)
 * unless the path names one, and every image gets a prediction id to give feedback on. Errors have the protocol's
 * shape, {@code {"error": message}} (with our {@code code} beside it), and a 4xx status for the client's mistakes.
 * Thread-safe.
 */
final class InferenceProtocol {
  static final String PROBABILITIES = "probabilities";
  static final String LABEL = "label";
  static final String PREDICTION_ID = "prediction_id";
  private static final String MODELS = "/v2/models/";

  /** {@code $metadata_server_response}. */
  record ServerMetadata(String name, String version, List<String> extensions) {}

  /** {@code $metadata_tensor}. */
  record Tensor(String name, String datatype, List<Long> shape) {}

  /** {@code $metadata_model_response}; {@code parameters} carries the label order of {@code probabilities}. */
  record ModelMetadata(String name, List<String> versions, String platform, List<Tensor> inputs, List<Tensor> outputs,
      Map<String, String> parameters) {}

  /** {@code $response_output}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Output(String name, List<Long> shape, String datatype, Map<String, Object> parameters, List<?> data) {}

  /** {@code $inference_response}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record InferResponse(@JsonProperty("model_name") String modelName, @JsonProperty("model_version") String modelVersion,
      String id, Map<String, Object> parameters, List<Output> outputs) {}

  private final Function<String, PredictService> models;
  private final Supplier<List<String>> served;
  private final Semaphore inFlight;
  private final int most;
  private final RecentPredictions recent;

  /**
   * {@code models} finds the service of a served model by name (null when it is not served); {@code inFlight} is
   * shared with {@code /v1}; at most {@code most} images per request.
   */
  InferenceProtocol(Function<String, PredictService> models, Supplier<List<String>> served, Semaphore inFlight,
      int most, RecentPredictions recent) {
    this.models = models;
    this.served = served;
    this.inFlight = inFlight;
    this.most = most;
    this.recent = recent;
  }

  /**
   * {@code h} with its errors in the protocol's shape, {@code {"error": message, "code": code}}, same status and
   * headers; {@code rejected} is told each error's code (for the rejection meter).
   */
  static RequestHandler errorsAsV2(RequestHandler h, Consumer<String> rejected) {
    return r -> {
      try {
        return h.handle(r);
      } catch (HttpError e) {
        rejected.accept(e.code());
        Map<String, String> body = new LinkedHashMap<>();
        body.put("error", e.getMessage());
        body.put("code", e.code());
        Response v2 = Json.reply(e.status(), body);
        for (Map.Entry<String, String> header : e.toResponse().headers().entrySet()) {
          v2 = v2.with(header.getKey(), header.getValue());
        }
        return v2;
      }
    };
  }

  Response server(Request r) {
    return Json.reply(200, new ServerMetadata("streamfit", "1", List.of()));
  }

  Response live(Request r) {
    return Json.reply(200, Map.of("live", true));
  }

  /** Ready when every model served has a version answering. */
  Response ready(Request r) {
    boolean ready = served.get().stream().allMatch(n -> n != null && models.apply(n).registry().peek() != null);
    return Json.reply(ready ? 200 : 503, Map.of("ready", ready));
  }

  /** {@code /v2/models/{name}[/versions/{v}][/ready|/infer]}. */
  Response model(Request r) throws Exception {
    String[] parts = r.path().substring(MODELS.length()).split("/", -1);
    String name = parts[0];
    int i = 1;
    long version = -1;
    if (parts.length > 2 && parts[1].equals("versions")) {
      try {
        version = Long.parseLong(parts[2]);
      } catch (NumberFormatException e) {
        throw HttpError.notFound("unknown_version", "version '" + clip(parts[2]) + "' is not a number");
      }
      i = 3;
    }
    String verb = parts.length == i ? "" : parts.length == i + 1 ? parts[i] : null;
    if (verb == null || !List.of("", "ready", "infer").contains(verb) || name.isEmpty()) {
      throw HttpError.notFound("not_found", "no such endpoint: " + clip(r.path())
          + " (/v2/models/{name}[/versions/{v}][/ready|/infer])");
    }
    PredictService s = models.apply(name);
    if (s == null) {
      throw HttpError.notFound("unknown_model", "model '" + clip(name) + "' is not served here; served: "
          + served.get());
    }
    String method = verb.equals("infer") ? "POST" : "GET";
    if (!r.method().equals(method)) {
      throw HttpError.methodNotAllowed(r.method(), method);
    }
    return switch (verb) {
      case "infer" -> infer(r, s, version);
      case "ready" -> modelReady(s, name, version);
      default -> metadata(s, name, version);
    };
  }

  private Response metadata(PredictService s, String name, long version) {
    Deployment d = s.registry().deployment();
    List<String> loaded = new ArrayList<>();
    for (ModelHandle h : new ModelHandle[] {d.stable(), d.candidate()}) {
      if (h != null) {
        loaded.add(Long.toString(h.version()));
      }
    }
    ModelState state = version < 0 ? null : s.registry().version(version);
    if (version >= 0 && state == null) {
      throw HttpError.notFound("unknown_version", "no version " + version + " of " + name);
    }
    ModelHandle stable = d.stable();
    List<String> labels = state != null ? state.metadata().getLabels()
        : stable != null ? stable.model().predictor().labels() : null;
    if (labels == null) {
      throw new HttpError(503, "no_model", "no version of " + name + " loaded yet; see /v2/health/ready");
    }
    long c = labels.size();
    List<Tensor> inputs = List.of(new Tensor("image", "BYTES", List.of(-1L)),
        new Tensor("pixels", "UINT8", List.of(-1L, -1L, -1L, 3L)));
    List<Tensor> outputs = List.of(new Tensor(PROBABILITIES, "FP32", List.of(-1L, c)),
        new Tensor(LABEL, "BYTES", List.of(-1L)), new Tensor(PREDICTION_ID, "BYTES", List.of(-1L)));
    return Json.reply(200, new ModelMetadata(name, loaded, "streamfit_dl4j", inputs, outputs,
        Map.of("labels", String.join(",", labels))));
  }

  private Response modelReady(PredictService s, String name, long version) {
    Deployment d = s.registry().deployment();
    ModelHandle stable = d.stable();
    ModelHandle candidate = d.candidate();
    boolean ready = version < 0 ? stable != null
        : stable != null && stable.version() == version || candidate != null && candidate.version() == version;
    return Json.reply(ready ? 200 : 503, Map.of("name", name, "ready", ready));
  }

  private Response infer(Request r, PredictService s, long version) throws Exception {
    long t0 = System.nanoTime();
    InferRequest in = InferRequest.parse(r.body(), most);
    int n = in.images().size();
    if (!inFlight.tryAcquire(n)) {
      throw HttpError.tooManyRequests("overloaded", "too many predictions in flight; retry later", 1);
    }
    List<PredictService.Outcome> outs;
    try {
      outs = version < 0 ? s.predictAll(in.images(), Integer.MAX_VALUE)
          : s.predictAllOn(version, in.images(), Integer.MAX_VALUE);
    } catch (PredictService.NoModelException e) {
      throw new HttpError(503, "no_model", e.getMessage());
    } catch (PredictService.NotLoadedException e) {
      throw HttpError.notFound("unknown_version", e.getMessage());
    } finally {
      inFlight.release(n);
    }
    List<PredictService.Outcome.Answered> answered = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (outs.get(i) instanceof PredictService.Outcome.Refused refused) {
        HttpError e = HttpError.refused(refused.rejected().reason(), refused.rejected().getMessage());
        throw new HttpError(e.status(), e.code(), "image " + i + " of the input: " + e.getMessage());
      }
      answered.add((PredictService.Outcome.Answered) outs.get(i));
    }
    List<String> labels = answered.get(0).labels();
    List<Float> probs = new ArrayList<>();
    List<String> top = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    double ms = (System.nanoTime() - t0) / 1e6;
    for (PredictService.Outcome.Answered a : answered) {
      Map<String, Double> byLabel = new LinkedHashMap<>();
      for (ClassProbability p : a.prediction().top()) {
        byLabel.put(p.label(), p.probability());
      }
      labels.forEach(l -> probs.add(byLabel.getOrDefault(l, 0.0).floatValue()));
      ClassProbability first = a.prediction().top().get(0);
      top.add(first.label());
      ids.add(a.predictionId());
      recent.add(new RecentPredictions.Entry(Instant.now(), "http", a.predictionId(), a.prediction().version(),
          first.label(), first.probability(), ms));
    }
    List<Output> outputs = new ArrayList<>();
    boolean all = in.outputs().isEmpty();
    if (all || in.outputs().contains(PROBABILITIES)) {
      outputs.add(new Output(PROBABILITIES, List.of((long) n, (long) labels.size()), "FP32",
          Map.of("labels", String.join(",", labels)), probs));
    }
    if (all || in.outputs().contains(LABEL)) {
      outputs.add(new Output(LABEL, List.of((long) n), "BYTES", null, top));
    }
    if (all || in.outputs().contains(PREDICTION_ID)) {
      outputs.add(new Output(PREDICTION_ID, List.of((long) n), "BYTES", null, ids));
    }
    PredictService.Outcome.Answered first = answered.get(0);
    Map<String, Object> parameters = Map.of("rollout", first.arm(), "latency_ms", ms);
    return Json.reply(200, new InferResponse(s.registry().modelName(), Long.toString(first.prediction().version()),
        in.id(), parameters, outputs)).with("X-Model-Version", Long.toString(first.prediction().version()));
  }

  private static String clip(String s) {
    return s.length() > 100 ? s.substring(0, 100) + "…" : s;
  }
}
