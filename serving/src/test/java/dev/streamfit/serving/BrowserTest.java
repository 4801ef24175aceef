package dev.streamfit.serving;

import static dev.streamfit.serving.Fixtures.await;
import static dev.streamfit.serving.Fixtures.publish;
import static dev.streamfit.serving.Fixtures.version;
import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.Topics;
import dev.streamfit.schemas.TrainingMetrics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import dev.streamfit.testkit.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page in a real browser (Debian's headless Chromium through chromedriver, driven by Selenium):
 * it shows the active version, the version history and the learning curve, and uploading an image shows
 * a prediction. Needs {@code apt-get install chromium chromium-driver} (done by {@code .ci/run}).
 */
@ExtendWith(KafkaBrokerExtension.class)
class BrowserTest {
  static final Path CHROMIUM = Path.of(System.getProperty("streamfit.chromium", "/usr/bin/chromium"));
  static final Path CHROMEDRIVER = Path.of(System.getProperty("streamfit.chromedriver", "/usr/bin/chromedriver"));

  static WebDriver browser() {
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
      throw new IllegalStateException("the browser test needs " + CHROMIUM + " and " + CHROMEDRIVER
          + ": apt-get install chromium chromium-driver (or set -Dstreamfit.chromium / -Dstreamfit.chromedriver)");
    }
    ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
        .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900");
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort().build();
    return new ChromeDriver(service, options);
  }

  @Test
  void thePageShowsTheActiveVersionAndClassifiesAnUploadedImage(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("browser-", 1, (short) 1);
    try (ServingStage s = ServingStage.start(ServingConfig.defaults(broker.bootstrapServers(), topics, 0)
        .withTopicInference(false)); KafkaProducer<String, byte[]> p = Fixtures.producer(broker.bootstrapServers())) {
      AvroSerde<TrainingMetrics> serde = AvroSerde.of(TrainingMetrics.class);
      for (int step = 10; step <= 30; step += 10) {
        TrainingMetrics m = TrainingMetrics.newBuilder().setModelName("clothing").setStep(step).setEpoch(step / 10 - 1)
            .setTrigger("epoch_end").setEvaluatedAt(Instant.now()).setSamplesTrained(step * 16L).setLearningRate(1e-3)
            .setMetrics(Map.of("train.accuracy", 0.4 + step / 100.0, "val.accuracy", 0.3 + step / 100.0))
            .setPublishedVersion(step == 30 ? 3L : null).build();
        p.send(new ProducerRecord<>(topics.trainingMetrics(), "clothing", serde.encode(m))).get();
      }
      publish(p, topics, version(3, Fixtures.good(3)));
      await("v3 active", () -> s.active() != null);

      WebDriver driver = browser();
      try {
        driver.get("http://127.0.0.1:" + s.port() + "/");
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
        wait.until(d -> d.findElement(By.id("active-version")).getText().equals("v3"));
        assertThat(driver.findElement(By.id("model-name")).getText()).isEqualTo("clothing");
        assertThat(driver.findElement(By.id("versions")).getText()).contains("v3").contains("active");
        wait.until(d -> d.findElements(By.cssSelector("#curve path")).size() == 2);
        assertThat(driver.findElements(By.cssSelector("#curve circle"))).hasSize(1);

        Path image = TestImages.samplePath("test", "shoes");
        driver.findElement(By.id("file")).sendKeys(image.toString());
        wait.until(d -> !d.findElements(By.cssSelector("#result .prediction")).isEmpty());
        List<WebElement> rows = driver.findElements(By.cssSelector("#result .prediction"));
        assertThat(rows).hasSize(3);
        assertThat(rows.get(0).findElement(By.className("label")).getText()).isIn(Fixtures.LABELS);
        assertThat(driver.findElement(By.id("prediction-version")).getText()).startsWith("model v3");
        wait.until(d -> d.findElement(By.id("recent")).getText().contains("http"));
        assertThat(driver.findElement(By.id("rollout")).getText()).isEqualTo("immediate · stable v3");

        // Feedback from the page: the true label goes back, the version's live accuracy shows it.
        String top = rows.get(0).findElement(By.className("label")).getText();
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("true-label"))).selectByVisibleText(top);
        driver.findElement(By.id("send-feedback")).click();
        wait.until(d -> d.findElement(By.id("feedback-result")).getText().equals("recorded: right"));
        // the table is redrawn every few seconds: an element found may be replaced before it is read
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class)
            .until(d -> d.findElement(By.cssSelector("#versions .live-acc")).getText().equals("100.0% (1)"));

        // A file that is not an image: the page shows the server's reason.
        Path bad = Files.createTempFile("streamfit-not-an-image", ".jpg");
        Files.writeString(bad, "not an image");
        driver.findElement(By.id("file")).sendKeys(bad.toString());
        wait.until(d -> d.findElement(By.id("result")).getText().startsWith("415 unsupported_format"));
        Files.delete(bad);

        // Where the model looked: with the box ticked, each of the top classes gets its heat-map overlay.
        driver.findElement(By.id("explain")).click();
        driver.findElement(By.id("file")).sendKeys(image.toString());
        wait.until(d -> d.findElements(By.cssSelector("#result img.heatmap")).size() == 3);
        for (WebElement img : driver.findElements(By.cssSelector("#result img.heatmap"))) {
          wait.until(d -> ((Number) ((org.openqa.selenium.JavascriptExecutor) d)
              .executeScript("return arguments[0].naturalWidth", img)).intValue() == 224);
          assertThat(img.getAttribute("src")).startsWith("data:image/png;base64,");
        }
      } finally {
        driver.quit();
      }
    }
  }

  @Test
  void twoRunsWithDifferentLearningRatesAreOverlaidComparedAndExported(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("runs-", 1, (short) 1);
    try (ServingStage s = ServingStage.start(ServingConfig.defaults(broker.bootstrapServers(), topics, 0)
        .withTopicInference(false)); KafkaProducer<String, byte[]> p = Fixtures.producer(broker.bootstrapServers())) {
      AvroSerde<TrainingMetrics> serde = AvroSerde.of(TrainingMetrics.class);
      for (String lr : List.of("0.001", "0.01")) {
        Map<String, String> config = Map.of("learning-rate", lr, "epochs", "3", "base", "mobilenetv2-0.35");
        for (int step = 10; step <= 30; step += 10) {
          double gain = lr.equals("0.01") ? 0.2 : 0.1;
          TrainingMetrics m = TrainingMetrics.newBuilder().setModelName("clothing").setStep(step).setEpoch(step / 10 - 1)
              .setTrigger("epoch_end").setEvaluatedAt(Instant.now()).setSamplesTrained(step * 16L)
              .setLearningRate(Double.parseDouble(lr)).setMetrics(Map.of("train.accuracy", 0.3 + gain * step / 10,
                  "val.accuracy", 0.25 + gain * step / 10, "train.loss", 2.0 - gain * step / 10, "val.loss", 2.1 - gain * step / 10))
              .setRun("clothing-lr-" + lr).setRunConfig(config).build();
          p.send(new ProducerRecord<>(topics.trainingMetrics(), "clothing", serde.encode(m))).get();
        }
      }
      publish(p, topics, version(1, Fixtures.good(1)));
      await("v1 active", () -> s.active() != null);

      WebDriver driver = browser();
      try {
        driver.get("http://127.0.0.1:" + s.port() + "/");
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class)
            .until(d -> d.findElements(By.cssSelector("#runs-list input.run-choice")).size() == 2);
        for (WebElement box : driver.findElements(By.cssSelector("#runs-list input.run-choice"))) {
          box.click();
        }
        wait.until(d -> d.findElements(By.cssSelector("#runs-curve path.run-line")).size() == 4);
        String diff = driver.findElement(By.id("runs-diff")).getText();
        assertThat(diff).contains("learning-rate").contains("0.001").contains("0.01").doesNotContain("epochs");
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("runs-metric"))).selectByValue("loss");
        wait.until(d -> d.findElements(By.cssSelector("#runs-curve path.run-line")).size() == 4);
        String href = driver.findElement(By.id("runs-csv")).getAttribute("href");
        assertThat(href).contains("clothing-lr-0.001").contains("clothing-lr-0.01");

        java.net.http.HttpResponse<String> csv = java.net.http.HttpClient.newHttpClient().send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(href)).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(csv.statusCode()).isEqualTo(200);
        List<String> lines = csv.body().lines().toList();
        assertThat(lines.get(0)).isEqualTo("run,step,epoch,samples_trained,learning_rate,train_loss,train_accuracy,val_loss,"
            + "val_accuracy,learning-rate");
        assertThat(lines).hasSize(7);
        assertThat(lines.get(1)).startsWith("clothing-lr-0.001,10,0,160,").endsWith(",0.001");
        assertThat(lines.get(6)).startsWith("clothing-lr-0.01,30,2,480,").contains(",0.850000,").endsWith(",0.01");
      } finally {
        driver.quit();
      }
    }
  }
}
