package dev.streamfit.serving;

import dev.streamfit.schemas.Topics;

/**
 * A serving stage in its own JVM, for tests that need a heap of a known size: {@code <bootstrap> <topic prefix>};
 * prints {@code PORT <n>} once listening and runs until its standard input closes.
 */
public final class ServingChild {
  private ServingChild() {}

  public static void main(String[] args) throws Exception {
    Topics topics = new Topics(args[1], 1, (short) 1);
    try (ServingStage s = ServingStage.start(ServingConfig.defaults(args[0], topics, 0).withTopicInference(false))) {
      System.out.println("PORT " + s.port());
      System.out.flush();
      while (System.in.read() >= 0) {
        // until the parent closes our input (or kills us)
      }
    }
  }
}
