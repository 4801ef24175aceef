package dev.streamfit.app;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options of the serving stage ({@code serve}). Tokens come from the environment, not the command line. */
public final class ServingOptions {
  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Bind address (default ${DEFAULT-VALUE}; 0.0.0.0 for all).")
  String host;

  @Option(names = "--port", defaultValue = "8080", description = "HTTP port (default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--model-name", description = "Serve only this model's versions (default: the first name on the models topic).")
  String modelName;

  @Option(names = "--models", split = ",", description = "Also serve these models (comma-separated), each at "
      + "POST /v1/models/{name}/predict[:batch]; needs --model-name, the model of /v1/predict.")
  java.util.List<String> moreModels = new java.util.ArrayList<>();

  @Option(names = "--top-k", defaultValue = "3", description = "Labels returned when a request does not say ?k= (default ${DEFAULT-VALUE}).")
  int topK;

  @Option(names = "--max-body-bytes", defaultValue = "16777216", description = "Largest request body; larger gets 413 (default ${DEFAULT-VALUE}).")
  int maxBodyBytes;

  @Option(names = "--http-threads", defaultValue = "64", description = "Request threads (default ${DEFAULT-VALUE}).")
  int httpThreads;

  @Option(names = "--max-in-flight", defaultValue = "64", description = "Predictions admitted at once; beyond, 429 (default ${DEFAULT-VALUE}).")
  int maxInFlight;

  @Option(names = "--inference-workers", defaultValue = "0",
      description = "Forward passes at once, each on its own model copy; 0 = one per core, at most 16 (default ${DEFAULT-VALUE}).")
  int inferenceWorkers;

  @Option(names = "--max-batch", defaultValue = "8", description = "Largest micro-batch per forward pass; 1 = one pass per request (default ${DEFAULT-VALUE}).")
  int maxBatch;

  @Option(names = "--batch-linger-ms", defaultValue = "0", description = "Wait this long for more requests once one is queued (default ${DEFAULT-VALUE}).")
  long batchLingerMs;

  @Option(names = "--no-topic-inference", description = "Do not answer the inference.requests topic.")
  boolean noTopicInference;

  @Option(names = "--recent-predictions", defaultValue = "50", description = "Recent predictions kept for the web page (default ${DEFAULT-VALUE}).")
  int recentPredictions;

  @Option(names = "--admin-loopback", description = "Let clients on this host (loopback) activate versions without "
      + "STREAMFIT_ADMIN_TOKEN. Ignored when that token is set: behind a reverse proxy on the same host every client is loopback.")
  boolean adminLoopback;

  @Mixin
  HttpOptions http = new HttpOptions();

  @Mixin
  DecodeOptions decode = new DecodeOptions();
}
