package dev.streamfit.serving.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.streamfit.engine.ClassProbability;
import dev.streamfit.http.HttpError;
import dev.streamfit.http.Json;
import dev.streamfit.http.Multipart;
import dev.streamfit.http.Request;
import dev.streamfit.http.Response;
import dev.streamfit.imaging.ImageRejectedException;
import dev.streamfit.serving.ServingConfig;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * The noun {@code prediction} of one served model: {@code POST …/predict} (one image: the raw body or a multipart
 * body with one file) and {@code POST …/predict:batch} (multipart files or JSON {@code {"images": [base64, …]}}).
 * Every answer carries a {@code predictionId} to give feedback on and the {@code rollout} arm that answered.
 * Thread-safe.
 */
final class PredictResource {
  /** Most images in one {@code predict:batch} request. */
  static final int MAX_BATCH_ITEMS = 64;

  /** The answer to {@code predict}; {@code explanations} only with {@code ?explain=true}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Prediction(String model, long modelVersion, String predictionId, String rollout, List<ClassProbability> predictions,
      double latencyMs, double forwardMs, int batchSize, double queueMs, List<Explanations.Explanation> explanations,
      Explanations.Layer featureMaps) {}

  /** One item of a batch answer: a prediction, or its refusal ({@code status}, {@code error}, {@code message}). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Item(int index, int status, String error, String message, Long modelVersion, String predictionId,
      String rollout, List<ClassProbability> predictions) {}

  /** The answer to {@code predict:batch}. */
  record Batch(String model, List<Item> results, double latencyMs) {}

  private final ServingConfig config;
  private final PredictService service;
  private final Semaphore inFlight;
  private final ServingMetrics metrics;
  private final RecentPredictions recent;
  private final Explanations explanations;

  PredictResource(ServingConfig config, PredictService service, Semaphore inFlight, ServingMetrics metrics,
      RecentPredictions recent, Explanations explanations) {
    this.explanations = explanations;
    this.config = config;
    this.service = service;
    this.inFlight = inFlight;
    this.metrics = metrics;
    this.recent = recent;
  }

  Response predict(Request r) throws Exception {
    long t0 = System.nanoTime();
    byte[] image = Multipart.oneFile(r, " (use …/predict:batch for several)");
    int k = topK(r);
    boolean explain = explain(r);
    String layer = r.query("layer");
    if (layer != null && !explain) {
      throw HttpError.badRequest("query parameter layer goes with explain=true");
    }
    if (explain && !explanations.tryStart()) {
      throw HttpError.tooManyRequests("explaining", "an explanation is running (one at a time); retry later", 1);
    }
    if (!inFlight.tryAcquire()) {
      if (explain) {
        explanations.done();
      }
      throw overloaded();
    }
    try {
      PredictService.Outcome.Answered o = service.predict(image, k);
      InferenceQueue.Prediction p = o.prediction();
      PredictService.Explained explained = explain ? service.explain(image, k, layer) : null;
      List<Explanations.Explanation> why = explained == null ? null : Explanations.of(explained);
      double ms = (System.nanoTime() - t0) / 1e6;
      remember(o.predictionId(), p, ms);
      return Json.reply(200, new Prediction(service.registry().modelName(), p.version(), o.predictionId(), o.arm(),
          p.top(), ms, p.forwardMs(), p.batchSize(), p.queueMs(), why,
          explained == null ? null : Explanations.layer(explained)))
          .with("X-Model-Version", Long.toString(p.version())).with("X-Prediction-Id", o.predictionId());
    } catch (ImageRejectedException e) {
      throw HttpError.refused(e.reason(), e.getMessage());
    } catch (PredictService.NoModelException e) {
      throw new HttpError(503, "no_model", e.getMessage());
    } catch (PredictService.UnknownLayerException e) {
      throw HttpError.badParameter("layer", layer, "an image-shaped layer of the model (" + e.getMessage() + ")");
    } finally {
      inFlight.release();
      if (explain) {
        explanations.done();
      }
    }
  }

  Response predictBatch(Request r) throws Exception {
    long t0 = System.nanoTime();
    int most = Math.min(MAX_BATCH_ITEMS, config.maxInFlight());
    List<byte[]> images = new ArrayList<>();
    List<Multipart.Part> files = Multipart.files(r);
    if (files != null) {
      files.forEach(p -> images.add(p.content()));
    } else {
      String problem = jsonImages(r.body(), images, most);
      if (problem != null) {
        throw problem.startsWith("a batch") ? new HttpError(422, "bad_batch_size", problem) : HttpError.badRequest(problem);
      }
    }
    if (images.isEmpty() || images.size() > most) {
      throw new HttpError(422, "bad_batch_size", "a batch carries 1 to " + most + " images, this one " + images.size());
    }
    int k = topK(r);
    if (!inFlight.tryAcquire(images.size())) {
      throw overloaded();
    }
    try {
      List<PredictService.Outcome> outs = service.predictAll(images, k);
      double ms = (System.nanoTime() - t0) / 1e6;
      List<Item> results = new ArrayList<>();
      for (int i = 0; i < outs.size(); i++) {
        PredictService.Outcome out = outs.get(i);
        if (out instanceof PredictService.Outcome.Refused refused) {
          metrics.rejected("http", refused.rejected().reason().code());
          HttpError e = HttpError.refused(refused.rejected().reason(), refused.rejected().getMessage());
          results.add(new Item(i, e.status(), e.code(), e.getMessage(), null, null, null, null));
        } else if (out instanceof PredictService.Outcome.Answered o) {
          remember(o.predictionId(), o.prediction(), ms);
          results.add(new Item(i, 200, null, null, o.prediction().version(), o.predictionId(), o.arm(),
              o.prediction().top()));
        }
      }
      return Json.reply(200, new Batch(service.registry().modelName(), results, ms));
    } catch (PredictService.NoModelException e) {
      throw new HttpError(503, "no_model", e.getMessage());
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
    try (JsonParser p = Json.MAPPER.getFactory().createParser(body)) {
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

  private static boolean explain(Request r) {
    String v = r.query("explain");
    if (v == null || v.equals("false")) {
      return false;
    }
    if (v.equals("true")) {
      return true;
    }
    throw HttpError.badParameter("explain", v, "true or false");
  }

  private int topK(Request r) {
    return r.intQuery("k", config.defaultTopK(), 1, 1000);
  }

  private HttpError overloaded() {
    return HttpError.tooManyRequests("overloaded", "more than serving.max-in-flight=" + config.maxInFlight()
        + " predictions in flight; retry later", 1);
  }

  private void remember(String id, InferenceQueue.Prediction p, double ms) {
    if (!p.top().isEmpty()) {
      recent.add(new RecentPredictions.Entry(Instant.now(), "http", id, p.version(), p.top().get(0).label(),
          p.top().get(0).probability(), ms));
    }
  }
}
