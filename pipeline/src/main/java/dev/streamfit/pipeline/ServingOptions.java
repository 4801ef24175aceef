package dev.streamfit.pipeline;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options of the serving stage ({@code serve}). Tokens come from the environment, not the command line. */
public final class ServingOptions {
  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Bind address (default ${DEFAULT-VALUE}; 0.0.0.0 for all).")
  public String host;

  @Option(names = "--port", defaultValue = "8080", description = "HTTP port (default ${DEFAULT-VALUE}).")
  public int port;

  @Option(names = "--model-name", description = "Serve only this model's versions (default: the first name on the models topic).")
  public String modelName;

  @Option(names = "--models", split = ",", description = "Also serve these models (comma-separated), each at "
      + "POST /v1/models/{name}/predict[:batch]; needs --model-name, the model of /v1/predict.")
  public List<String> moreModels = new ArrayList<>();

  @Option(names = "--top-k", defaultValue = "3", description = "Labels returned when a request does not say ?k= (default ${DEFAULT-VALUE}).")
  public int topK;

  @Option(names = "--max-body-bytes", defaultValue = "16777216", description = "Largest request body; larger gets 413 (default ${DEFAULT-VALUE}).")
  public int maxBodyBytes;

  @Option(names = "--http-threads", defaultValue = "64", description = "Request threads (default ${DEFAULT-VALUE}).")
  public int httpThreads;

  @Option(names = "--max-in-flight", defaultValue = "64", description = "Predictions admitted at once; beyond, 429 (default ${DEFAULT-VALUE}).")
  public int maxInFlight;

  @Option(names = "--inference-workers", defaultValue = "0",
      description = "Forward passes at once, each on its own model copy; 0 = one per core, at most 16 (default ${DEFAULT-VALUE}).")
  public int inferenceWorkers;

  @Option(names = "--max-batch", defaultValue = "8", description = "Largest micro-batch per forward pass; 1 = one pass per request (default ${DEFAULT-VALUE}).")
  public int maxBatch;

  @Option(names = "--batch-linger-ms", defaultValue = "0", description = "Wait this long for more requests once one is queued (default ${DEFAULT-VALUE}).")
  public long batchLingerMs;

  @Option(names = "--no-topic-inference", description = "Do not answer the inference.requests topic.")
  public boolean noTopicInference;

  @Option(names = "--recent-predictions", defaultValue = "50", description = "Recent predictions kept for the web page (default ${DEFAULT-VALUE}).")
  public int recentPredictions;

  @Option(names = "--admin-loopback", description = "Let clients on this host (loopback) activate versions without "
      + "STREAMFIT_ADMIN_TOKEN. Ignored when that token is set: behind a reverse proxy on the same host every client is loopback.")
  public boolean adminLoopback;

  @Option(names = "--rollout", defaultValue = "immediate", description = "How a new version reaches traffic: immediate, "
      + "canary (a share of requests until judged) or shadow (copies only, answers compared) (default ${DEFAULT-VALUE}).")
  public String rollout;

  @Option(names = "--canary-share", defaultValue = "0.1", description = "Share of requests the canary answers (default ${DEFAULT-VALUE}).")
  public double canaryShare;

  @Option(names = "--canary-promote-after", defaultValue = "200", description = "Canary requests after which it is promoted "
      + "if not worse, else retired (default ${DEFAULT-VALUE}).")
  public int canaryPromoteAfter;

  @Option(names = "--canary-error-margin", defaultValue = "0.02", description = "How much higher the canary's error rate may be (default ${DEFAULT-VALUE}).")
  public double canaryErrorMargin;

  @Option(names = "--canary-latency-ratio", defaultValue = "2", description = "How many times the stable mean latency the canary's may reach, plus 20 ms (default ${DEFAULT-VALUE}).")
  public double canaryLatencyRatio;

  @Option(names = "--canary-accuracy-margin", defaultValue = "0.05", description = "How much lower the canary's live accuracy may be (default ${DEFAULT-VALUE}).")
  public double canaryAccuracyMargin;

  @Option(names = "--min-feedback", defaultValue = "20", description = "Feedback records before a version's live accuracy counts (default ${DEFAULT-VALUE}).")
  public int minFeedback;

  @Option(names = "--rollback-window", defaultValue = "50", description = "Roll back on the stable version's last N feedback "
      + "records; 0 = never (default ${DEFAULT-VALUE}).")
  public int rollbackWindow;

  @Option(names = "--rollback-threshold", defaultValue = "0.2", description = "Roll back when live accuracy is below the "
      + "previous version's by more than this (default ${DEFAULT-VALUE}).")
  public double rollbackThreshold;

  @Option(names = "--feedback-remembered", defaultValue = "100000", description = "Predictions remembered for feedback (default ${DEFAULT-VALUE}).")
  public int feedbackRemembered;

  @Option(names = "--feedback-image-mb", defaultValue = "64", description = "MiB of predicted images kept for corrections (default ${DEFAULT-VALUE}).")
  public long feedbackImageMb;

  @Option(names = "--feedback-retention-s", defaultValue = "3600", description = "Seconds a prediction can get feedback (default ${DEFAULT-VALUE}).")
  public long feedbackRetentionS;

  @Option(names = "--feedback-rate", defaultValue = "50", description = "Feedback records per second per client (default ${DEFAULT-VALUE}).")
  public int feedbackRate;

  @Option(names = "--feedback-burst", defaultValue = "100", description = "Feedback records one client may send at once (default ${DEFAULT-VALUE}).")
  public int feedbackBurst;

  @Option(names = "--no-feedback-corrections", description = "Do not publish corrected images to images.raw.")
  public boolean noFeedbackCorrections;

  @Mixin
  public HttpOptions http = new HttpOptions();

  @Mixin
  public DecodeOptions decode = new DecodeOptions();
}
