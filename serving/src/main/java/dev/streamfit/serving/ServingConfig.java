package dev.streamfit.serving;

import static dev.streamfit.common.ConfigChecks.range;

import dev.streamfit.http.HttpLimits;
import dev.streamfit.imaging.DecodeLimits;
import dev.streamfit.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.ArrayList;
import java.util.HashSet;

/**
 * Configuration of the serving stage. Immutable; validated on construction (errors name the key, the
 * bound, the value and the flag that sets it).
 *
 * @param bootstrapServers Kafka {@code bootstrap.servers}
 * @param topics topic catalogue
 * @param modelName serve only versions of this model; null serves the first model name seen on {@code models}
 * @param host HTTP bind address (default 127.0.0.1)
 * @param port HTTP port, 0 for a free one, else in [1, 65535]
 * @param defaultTopK labels returned when the request does not say ({@code ?k=}), in [1, 100]
 * @param maxBodyBytes largest request body accepted; larger answers 413
 * @param limits decode guards for uploaded images (the augment stage's)
 * @param httpThreads request-handling threads, in [1, 512]; bounds the requests being decoded at once
 * @param maxInFlight predictions admitted at once (HTTP and batch items); beyond it requests get 429
 * @param maxBatch largest micro-batch of one forward pass, in [1, 256]; 1 = one forward per request
 * @param batchLinger how long the batcher waits for more requests once it has one (0 = take what is queued)
 * @param inferenceWorkers forward passes run at once, each on its own copy of the model, in [1, 64]; with
 *     several, each pass gets {@code cores / workers} OpenMP threads (on CPU one worker per core beats one
 *     worker using every core: README, "Serving latency and throughput")
 * @param apiToken bearer token required on {@code /v1/*}; null = no auth
 * @param adminToken bearer token admin calls ({@code :activate}) must carry; null = none (then only loopback
 *     clients with {@code adminLoopback} may make them)
 * @param topicInference whether to answer {@code inference.requests} on {@code inference.results}
 * @param inferenceGroupId consumer group of topic inference (replicas share the partitions)
 * @param recentPredictions how many recent predictions the web page shows, in [0, 10000]
 * @param http the HTTP front's deadlines and caps (headers, bodies, connections, bytes in flight)
 * @param adminLoopback let clients on a loopback address activate versions without the admin token; ignored
 *     (off) when an admin token is set, since behind a reverse proxy on the same host every client is loopback
 * @param moreModels further models served by name ({@code POST /v1/models/{name}/predict}), besides
 *     {@code modelName}, which answers {@code /v1/predict}; needs {@code modelName}
 * @param rollout how new versions reach live traffic (immediate, canary, shadow) and when feedback rolls back
 * @param feedback what is remembered of predictions for {@code POST /v1/feedback} and the {@code feedback} topic
 */
public record ServingConfig(String bootstrapServers, Topics topics, String modelName, String host, int port,
    int defaultTopK, int maxBodyBytes, DecodeLimits limits, int httpThreads, int maxInFlight, int maxBatch,
    Duration batchLinger, int inferenceWorkers, String apiToken, String adminToken, boolean topicInference, String inferenceGroupId,
    int recentPredictions, HttpLimits http, boolean adminLoopback, List<String> moreModels, RolloutPolicy rollout,
    FeedbackPolicy feedback) {
  public ServingConfig {
    Objects.requireNonNull(rollout, "rollout");
    Objects.requireNonNull(feedback, "feedback");
    moreModels = List.copyOf(moreModels);
    for (String m : moreModels) {
      if (m.isBlank() || m.equals(modelName) || m.chars().allMatch(Character::isDigit)) {
        throw new IllegalArgumentException("serving.models: each further model must be a name other than the default"
            + " model's and not a number (it would hide /v1/models/{version}), was '" + m + "' (fix --models)");
      }
    }
    if (!moreModels.isEmpty() && modelName == null) {
      throw new IllegalArgumentException("serving.models needs serving.model-name: the default model answers /v1/predict"
          + " (set --model-name)");
    }
    if (moreModels.size() != new HashSet<>(moreModels).size()) {
      throw new IllegalArgumentException("serving.models names a model twice: " + moreModels + " (fix --models)");
    }
    Objects.requireNonNull(http, "http");
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(batchLinger, "batchLinger");
    Objects.requireNonNull(inferenceGroupId, "inferenceGroupId");
    range("serving.port", port, 0, 65535, "--port");
    range("serving.top-k", defaultTopK, 1, 100, "--top-k");
    range("serving.max-body-bytes", maxBodyBytes, 1024, 64 * 1024 * 1024, "--max-body-bytes");
    range("serving.http-threads", httpThreads, 1, 512, "--http-threads");
    range("serving.max-in-flight", maxInFlight, 1, 100_000, "--max-in-flight");
    range("serving.max-batch", maxBatch, 1, 256, "--max-batch");
    range("serving.inference-workers", inferenceWorkers, 1, 64, "--inference-workers");
    range("serving.recent-predictions", recentPredictions, 0, 10_000, "--recent-predictions");
    if (batchLinger.isNegative() || batchLinger.compareTo(Duration.ofSeconds(1)) > 0) {
      throw new IllegalArgumentException("serving.batch-linger must be in [0, 1000] ms, was " + batchLinger.toMillis()
          + " ms (set --batch-linger-ms)");
    }
    if (apiToken != null && apiToken.length() < 8) {
      throw new IllegalArgumentException("serving.api-token must have at least 8 characters, had " + apiToken.length()
          + " (set a longer STREAMFIT_API_TOKEN)");
    }
    if (adminToken != null && adminToken.length() < 8) {
      throw new IllegalArgumentException("serving.admin-token must have at least 8 characters, had "
          + adminToken.length() + " (set a longer STREAMFIT_ADMIN_TOKEN)");
    }
    if (modelName != null && modelName.isBlank()) {
      throw new IllegalArgumentException("serving.model-name must not be blank (omit --model-name to serve any)");
    }
  }

  /**
   * 127.0.0.1:{@code port}, any model name, top-3, 16 MiB bodies, default decode limits, 64 HTTP threads,
   * 64 in flight, batches of up to 8 without linger, one inference worker per core (at most 16), no tokens, no loopback admin, default HTTP limits, topic inference on (group
   * {@code <prefix>streamfit-serving}), 50 recent predictions, {@link RolloutPolicy#defaults()} (immediate),
   * {@link FeedbackPolicy#defaults()}.
   */
  public static ServingConfig defaults(String bootstrapServers, Topics topics, int port) {
    return new ServingConfig(bootstrapServers, topics, null, "127.0.0.1", port, 3, 16 * 1024 * 1024,
        DecodeLimits.defaults(), 64, 64, 8, Duration.ZERO,
        Math.min(16, Runtime.getRuntime().availableProcessors()), null, null, true, topics.prefix() + "streamfit-serving", 50,
        HttpLimits.defaults(), false, List.of(), RolloutPolicy.defaults(), FeedbackPolicy.defaults());
  }

  /** This config with another body cap. */
  public ServingConfig withMaxBodyBytes(int bytes) {
    return new ServingConfig(bootstrapServers, topics, modelName, host, port, defaultTopK, bytes, limits, httpThreads,
        maxInFlight, maxBatch, batchLinger, inferenceWorkers, apiToken, adminToken, topicInference, inferenceGroupId, recentPredictions, http, adminLoopback, moreModels, rollout, feedback);
  }

  /** This config with {@code workers} inference workers. */
  public ServingConfig withInferenceWorkers(int workers) {
    return new ServingConfig(bootstrapServers, topics, modelName, host, port, defaultTopK, maxBodyBytes, limits,
        httpThreads, maxInFlight, maxBatch, batchLinger, workers, apiToken, adminToken, topicInference, inferenceGroupId,
        recentPredictions, http, adminLoopback, moreModels, rollout, feedback);
  }

  /** This config with other batching and admission limits. */
  public ServingConfig withBatching(int maxBatch, Duration linger, int maxInFlight) {
    return new ServingConfig(bootstrapServers, topics, modelName, host, port, defaultTopK, maxBodyBytes, limits,
        httpThreads, maxInFlight, maxBatch, linger, inferenceWorkers, apiToken, adminToken, topicInference, inferenceGroupId,
        recentPredictions, http, adminLoopback, moreModels, rollout, feedback);
  }

  /** This config with the given tokens (either may be null). */
  public ServingConfig withTokens(String apiToken, String adminToken) {
    return new ServingConfig(bootstrapServers, topics, modelName, host, port, defaultTopK, maxBodyBytes, limits,
        httpThreads, maxInFlight, maxBatch, batchLinger, inferenceWorkers, apiToken, adminToken, topicInference, inferenceGroupId,
        recentPredictions, http, adminLoopback, moreModels, rollout, feedback);
  }

  /** This config bound to {@code host}:{@code port}. */
  public ServingConfig withAddress(String host, int port) {
    return new ServingConfig(bootstrapServers, topics, modelName, host, port, defaultTopK, maxBodyBytes, limits,
        httpThreads, maxInFlight, maxBatch, batchLinger, inferenceWorkers, apiToken, adminToken, topicInference, inferenceGroupId,
        recentPredictions, http, adminLoopback, moreModels, rollout, feedback);
  }

  /** This config with topic inference on or off. */
  public ServingConfig withTopicInference(boolean on) {
    return new ServingConfig(bootstrapServers, topics, modelName, host, port, defaultTopK, maxBodyBytes, limits,
        httpThreads, maxInFlight, maxBatch, batchLinger, inferenceWorkers, apiToken, adminToken, on, inferenceGroupId, recentPredictions, http, adminLoopback, moreModels, rollout, feedback);
  }

  /** This config serving only {@code name} (null = any). */
  public ServingConfig withModelName(String name) {
    return new ServingConfig(bootstrapServers, topics, name, host, port, defaultTopK, maxBodyBytes, limits, httpThreads,
        maxInFlight, maxBatch, batchLinger, inferenceWorkers, apiToken, adminToken, topicInference, inferenceGroupId, recentPredictions, http, adminLoopback, moreModels, rollout, feedback);
  }

  /** This config with other HTTP limits. */
  public ServingConfig withHttp(HttpLimits limits) {
    return new ServingConfig(bootstrapServers, topics, modelName, host, port, defaultTopK, maxBodyBytes, this.limits,
        httpThreads, maxInFlight, maxBatch, batchLinger, inferenceWorkers, apiToken, adminToken, topicInference,
        inferenceGroupId, recentPredictions, limits, adminLoopback, moreModels, rollout, feedback);
  }

  /** This config letting loopback clients make admin calls without the admin token (when none is set). */
  public ServingConfig withAdminLoopback(boolean on) {
    return new ServingConfig(bootstrapServers, topics, modelName, host, port, defaultTopK, maxBodyBytes, limits,
        httpThreads, maxInFlight, maxBatch, batchLinger, inferenceWorkers, apiToken, adminToken, topicInference,
        inferenceGroupId, recentPredictions, http, on, moreModels, rollout, feedback);
  }

  /** This config also serving {@code names} by name. */
  public ServingConfig withMoreModels(List<String> names) {
    return new ServingConfig(bootstrapServers, topics, modelName, host, port, defaultTopK, maxBodyBytes, limits,
        httpThreads, maxInFlight, maxBatch, batchLinger, inferenceWorkers, apiToken, adminToken, topicInference,
        inferenceGroupId, recentPredictions, http, adminLoopback, names, rollout, feedback);
  }

  /** This config with another rollout policy. */
  public ServingConfig withRollout(RolloutPolicy p) {
    return new ServingConfig(bootstrapServers, topics, modelName, host, port, defaultTopK, maxBodyBytes, limits,
        httpThreads, maxInFlight, maxBatch, batchLinger, inferenceWorkers, apiToken, adminToken, topicInference,
        inferenceGroupId, recentPredictions, http, adminLoopback, moreModels, p, feedback);
  }

  /** This config with another feedback policy. */
  public ServingConfig withFeedback(FeedbackPolicy p) {
    return new ServingConfig(bootstrapServers, topics, modelName, host, port, defaultTopK, maxBodyBytes, limits,
        httpThreads, maxInFlight, maxBatch, batchLinger, inferenceWorkers, apiToken, adminToken, topicInference,
        inferenceGroupId, recentPredictions, http, adminLoopback, moreModels, rollout, p);
  }

  /** Every model served: {@code modelName} (null = the first on the topic), then {@link #moreModels}. */
  public List<String> servedModels() {
    List<String> all = new ArrayList<>();
    all.add(modelName);
    all.addAll(moreModels);
    return all;
  }

  /** Whether {@code loopback} clients without the admin token may make admin calls. */
  public boolean loopbackIsAdmin() {
    return adminLoopback && adminToken == null;
  }
}
