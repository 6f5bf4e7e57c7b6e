// Drive LM Studio's official TypeScript SDK (@lmstudio/sdk) against a server, step by step.
//
//   node official_client.cjs --sdk <dir of an installed @lmstudio/sdk> --host 127.0.0.1:PORT \
//        --report report.json [--step-timeout 20] [--steps a,b,c]
//
// The SDK validates every server message with zod. A message it cannot validate makes it log
// a warning through the logger given to LMStudioClient, send the server a communicationWarning,
// and leave the call hanging: every step therefore has its own timeout, and every warn/error
// call on the logger is recorded. The JSON report is judged by
// tests/conformance/test_official_typescript.py; this script asserts nothing itself.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { createRequire } = require("node:module");

function parseArgs(argv) {
  const args = { stepTimeout: 20, steps: null };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`missing value for ${key}`);
    if (key === "--sdk") args.sdk = value;
    else if (key === "--host") args.host = value;
    else if (key === "--report") args.report = value;
    else if (key === "--step-timeout") args.stepTimeout = Number(value);
    else if (key === "--steps") args.steps = value.split(",").filter(Boolean);
    else throw new Error(`unknown argument ${key}`);
  }
  for (const needed of ["sdk", "host", "report"]) {
    if (!args[needed]) throw new Error(`--${needed} is required`);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
// The SDK is installed under an npm alias (node_modules/sdk-<version>); its "exports" map
// only resolves through that package name, from the folder holding node_modules.
const sdkDir = path.resolve(args.sdk);
const installRequire = createRequire(path.join(path.dirname(path.dirname(sdkDir)), "package.json"));
const sdk = installRequire(path.basename(sdkDir));
const sdkRequire = createRequire(path.join(sdkDir, "package.json"));
const sdkVersion = JSON.parse(fs.readFileSync(path.join(args.sdk, "package.json"), "utf8")).version;
// zod is the SDK's own dependency (tools take zod schemas); resolve it next to the SDK.
const { z } = sdkRequire("zod");

const problems = [];
const chatter = [];
let currentStep = "startup";

function describe(messages) {
  return messages
    .map((m) => {
      if (m instanceof Error) return `${m.name}: ${m.message}`;
      if (typeof m === "string") return m;
      try {
        return JSON.stringify(m);
      } catch {
        return String(m);
      }
    })
    .join(" ")
    .slice(0, 4000);
}

const logger = {
  warn: (...messages) => problems.push({ kind: "warn", step: currentStep, message: describe(messages) }),
  error: (...messages) => problems.push({ kind: "error", step: currentStep, message: describe(messages) }),
  info: (...messages) => chatter.length < 200 && chatter.push({ kind: "info", step: currentStep, message: describe(messages) }),
  debug: () => {},
};

process.on("unhandledRejection", (reason) => {
  problems.push({ kind: "unhandledRejection", step: currentStep, message: describe([reason]) });
});
process.on("uncaughtException", (error) => {
  problems.push({ kind: "uncaughtException", step: currentStep, message: describe([error]) });
});

const CHAT_MODEL = "fake/chat";
const TOOLS_MODEL = "fake/tools";
const VISION_MODEL = "fake/vision";
const EMBED_MODEL = "fake/embed";
const REASONING_MODEL = "fake/reasoning";
const EXTRA_IDENTIFIER = "conformance-extra-ts";
const TOOLS_QUERY = "FAKE/Tools-7B"; // fake/tools' path starts with it
const EMBED_QUERY = "fake/embed-gguf"; // fake/embed's path starts with it
const JIT_TEXT = "tokens of a just-in-time embedding model";

const PROMPTS = {
  respond: "Say hello to the conformance suite",
  stream: "Stream these words one by one please",
  complete: "Once upon a time",
  structured: "Give me a book as JSON",
  image: "What colour is this image?",
  reasoning: "Why is the sky blue",
  config: "Answer with a configured temperature",
  callbacks: "Call me back for every fragment",
  draft: "Speculate on these words for me",
};
const GRAMMAR = 'root ::= "yes" | "no" | "maybe"';
const CANCEL_PROMPT = "count to 100000";
const BOOK_SCHEMA = {
  type: "object",
  properties: { title: { type: "string" }, year: { type: "integer" } },
  required: ["title", "year"],
};
// A valid 2x2 red PNG.
const TINY_PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==";

function resultOf(result) {
  return {
    content: result.content,
    stopReason: result.stats.stopReason,
    modelKey: result.modelInfo.modelKey,
  };
}

function kvValue(config, key) {
  const field = (config?.fields ?? []).find((f) => f.key === key);
  return field === undefined ? null : field.value;
}

function ids(models) {
  return models.map((m) => m.identifier).sort();
}

const steps = {
  async version(client) {
    return await client.system.getLMStudioVersion();
  },
  async list_loaded(client) {
    return { llm: ids(await client.llm.listLoaded()), embedding: ids(await client.embedding.listLoaded()) };
  },
  async list_downloaded(client) {
    const all = await client.system.listDownloadedModels();
    const llm = await client.system.listDownloadedModels("llm");
    const embedding = await client.system.listDownloadedModels("embedding");
    const keys = (models) => models.map((m) => m.modelKey).sort();
    return { all: keys(all), llm: keys(llm), embedding: keys(embedding), types: [...new Set(all.map((m) => m.type))].sort() };
  },
  async model(client) {
    const any = await client.llm.model();
    const chat = await client.llm.model(CHAT_MODEL);
    const info = await chat.getModelInfo();
    const embedding = await client.embedding.model(EMBED_MODEL);
    return {
      any: any.identifier,
      chat: chat.identifier,
      chatInfo: { modelKey: info.modelKey, identifier: info.identifier, vision: info.vision, contextLength: info.contextLength },
      embedding: embedding.identifier,
    };
  },
  async respond(client) {
    const model = await client.llm.model(CHAT_MODEL);
    return { prompt: PROMPTS.respond, ...resultOf(await model.respond(PROMPTS.respond)) };
  },
  async stream(client) {
    const model = await client.llm.model(CHAT_MODEL);
    const prediction = model.respond(PROMPTS.stream);
    const fragments = [];
    for await (const fragment of prediction) fragments.push(fragment.content);
    return { prompt: PROMPTS.stream, fragments, ...resultOf(await prediction.result()) };
  },
  async complete(client) {
    const model = await client.llm.model(CHAT_MODEL);
    return { prompt: PROMPTS.complete, ...resultOf(await model.complete(PROMPTS.complete)) };
  },
  async structured(client) {
    const model = await client.llm.model(CHAT_MODEL);
    const result = await model.respond(PROMPTS.structured, {
      structured: { type: "json", jsonSchema: BOOK_SCHEMA },
    });
    let parsed = null;
    try {
      parsed = JSON.parse(result.content);
    } catch {
      parsed = null;
    }
    return { prompt: PROMPTS.structured, schema: BOOK_SCHEMA, parsed, ...resultOf(result) };
  },
  async act(client) {
    const model = await client.llm.model(TOOLS_MODEL);
    const calls = [];
    const add = sdk.tool({
      name: "add",
      description: "Add two integers.",
      parameters: { a: z.number().int(), b: z.number().int() },
      implementation: ({ a, b }) => {
        calls.push({ a, b });
        return a + b;
      },
    });
    const messages = [];
    const result = await model.act("What is 1 + 2? Use the add tool.", [add], {
      onMessage: (message) => messages.push(message.toString()),
      maxPredictionRounds: 5,
    });
    return { rounds: result.rounds, toolCalls: calls, messages };
  },
  async act_agent(client) {
    // Several rounds, the tool call request callbacks, guardToolCall (2.x), a throwing tool.
    const model = await client.llm.model(TOOLS_MODEL);
    const events = [];
    const intTool = (name, description, implementation) =>
      sdk.tool({
        name,
        description,
        parameters: { a: z.number().int(), b: z.number().int() },
        implementation,
      });
    const add = intTool("add", "Add two integers.", ({ a, b }) => a + b);
    const multiply = intTool("multiply", "Multiply two integers.", ({ a, b }) => a * b);
    const divide = intTool("divide", "Divide a by b.", () => {
      throw new Error("division by zero");
    });
    const opts = {
      maxPredictionRounds: 6,
      onRoundStart: (round) => events.push(["round_start", round]),
      onRoundEnd: (round) => events.push(["round_end", round]),
      onMessage: (message) => events.push(["message", message.getRole()]),
      onPredictionCompleted: (result) => events.push(["prediction_completed", result.content]),
      onToolCallRequestStart: (round) => events.push(["request_start", round]),
      onToolCallRequestNameReceived: (round, callId, name) => events.push(["name", round, name]),
      onToolCallRequestEnd: (round, callId, info) =>
        events.push(["request_end", round, info.toolCallRequest.arguments]),
      onToolCallResult: (round, callId, result) => events.push(["result", round, result.content]),
    };
    const guarded = [];
    if (!sdkVersion.startsWith("1.")) {
      opts.guardToolCall = (round, callId, controller) => {
        guarded.push(controller.toolCallRequest.name);
        controller.allow();
      };
    }
    const result = await model.act("Add 1 and 2. Then multiply 3 and 4.", [add, multiply], opts);
    let thrown = null;
    try {
      await model.act("divide 1 by 0", [divide], { maxPredictionRounds: 3 });
    } catch (error) {
      thrown = String(error && error.message);
    }
    return { rounds: result.rounds, events, guarded, thrown, sdkVersion };
  },
  async embed(client) {
    const model = await client.embedding.model(EMBED_MODEL);
    const one = (await model.embed("hello world")).embedding;
    const many = (await model.embed(["first text", "second text"])).map((e) => e.embedding);
    return {
      text: "hello world",
      vector: one,
      dimension: one.length,
      manyDimensions: many.map((v) => v.length),
      distinct: JSON.stringify(many[0]) !== JSON.stringify(many[1]),
      allNumbers: one.every((x) => typeof x === "number"),
    };
  },
  async tokenize(client) {
    const model = await client.llm.model(CHAT_MODEL);
    const text = "hello tokenizer world";
    return {
      text,
      tokens: await model.tokenize(text),
      count: await model.countTokens(text),
      embeddingTokens: await (await client.embedding.model(EMBED_MODEL)).tokenize("hello embedding"),
      embeddingCount: await (await client.embedding.model(EMBED_MODEL)).countTokens("hello embedding"),
    };
  },
  async context_length(client) {
    const model = await client.llm.model(CHAT_MODEL);
    return { llm: await model.getContextLength(), embedding: await (await client.embedding.model(EMBED_MODEL)).getContextLength() };
  },
  async load_unload(client) {
    const before = ids(await client.llm.listLoaded());
    const progress = [];
    const handle = await client.llm.load(CHAT_MODEL, {
      identifier: EXTRA_IDENTIFIER,
      onProgress: (p) => progress.push(p),
    });
    const during = ids(await client.llm.listLoaded());
    const info = await handle.getModelInfo();
    await client.llm.unload(EXTRA_IDENTIFIER);
    const after = ids(await client.llm.listLoaded());
    return { identifier: handle.identifier, modelKey: info.modelKey, progress, before, during, after };
  },
  async prepare_image(client) {
    const handle = await client.files.prepareImageBase64("red.png", TINY_PNG_BASE64);
    const chat = sdk.Chat.empty();
    chat.append("user", PROMPTS.image, { images: [handle] });
    const model = await client.llm.model(VISION_MODEL);
    const result = await model.respond(chat);
    return {
      handle: { identifier: handle.identifier, name: handle.name, sizeBytes: handle.sizeBytes, type: handle.type },
      prompt: PROMPTS.image,
      ...resultOf(result),
    };
  },
  async repository(client) {
    const results = await client.repository.searchModels({ searchTerm: "fake", limit: 5 });
    if (results.length === 0) return { search: [] };
    const options = await results[0].getDownloadOptions();
    let progress = 0;
    const key = await options[0].download({ onProgress: () => (progress += 1) });
    const after = (await client.system.listDownloadedModels()).map((m) => m.modelKey).sort();
    return { search: results.map((r) => r.name), options: options.map((o) => o.name), downloadedKey: key, progressUpdates: progress, after };
  },
  async cancel(client) {
    const model = await client.llm.model(CHAT_MODEL);
    const prediction = model.respond(CANCEL_PROMPT);
    let seen = 0;
    for await (const _fragment of prediction) {
      seen += 1;
      if (seen === 1) await prediction.cancel();
    }
    const result = await prediction.result();
    return { prompt: CANCEL_PROMPT, fragmentsSeen: seen, ...resultOf(result) };
  },
  async reasoning(client) {
    const model = await client.llm.model(REASONING_MODEL);
    const result = await model.respond(PROMPTS.reasoning);
    return {
      prompt: PROMPTS.reasoning,
      reasoningContent: result.reasoningContent,
      nonReasoningContent: result.nonReasoningContent,
      ...resultOf(result),
    };
  },
  async config(client) {
    const model = await client.llm.model(CHAT_MODEL);
    const config = { temperature: 0.5, maxTokens: 3 };
    const result = await model.respond(PROMPTS.config, config);
    return {
      prompt: PROMPTS.config,
      ...config,
      // Raw KV configs: the effective values the server reports back.
      echoedTemperature: kvValue(result.predictionConfig, "llm.prediction.temperature"),
      echoedMaxTokens: kvValue(result.predictionConfig, "llm.prediction.maxPredictedTokens"),
      loadedContextLength: kvValue(result.loadConfig, "llm.load.contextLength"),
      ...resultOf(result),
    };
  },
  async prompt_template(client) {
    const model = await client.llm.model(CHAT_MODEL);
    const chat = sdk.Chat.from([
      { role: "system", content: "You are terse." },
      { role: "user", content: "Format me" },
    ]);
    return { formatted: await model.applyPromptTemplate(chat) };
  },
  async load_config(client) {
    const model = await client.llm.model(CHAT_MODEL);
    const embedding = await client.embedding.model(EMBED_MODEL);
    // Public API since 2.0.0 (1.5.0 has an undeclared method of another shape).
    if (!sdkVersion.startsWith("2.")) return { supported: false };
    return {
      supported: true,
      llmContextLength: (await model.getLoadConfig()).contextLength,
      llmContextLengthRpc: await model.getContextLength(),
      embeddingContextLength: (await embedding.getLoadConfig()).contextLength,
    };
  },
  async errors(client) {
    const chatModel = await client.llm.model(CHAT_MODEL);
    async function errorOf(promiseFactory) {
      try {
        await withTimeout(promiseFactory(), args.stepTimeout / 4);
      } catch (error) {
        return {
          rejected: true,
          message: String(error?.message ?? error).slice(0, 2000),
          title: error?.title ?? null,
        };
      }
      return { rejected: false };
    }
    const imageChat = async () => {
      const handle = await client.files.prepareImageBase64("x.png", TINY_PNG_BASE64);
      const chat = sdk.Chat.empty();
      chat.append("user", "Describe", { images: [handle] });
      return await chatModel.respond(chat);
    };
    return {
      unknownModel: await errorOf(() => client.llm.model("no/such-model")),
      unloadUnknown: await errorOf(() => client.llm.unload("no-such-instance")),
      unknownPreset: await errorOf(() => chatModel.respond("hi", { preset: "no-such-preset" })),
      imageToTextModel: await errorOf(imageChat),
      stillWorks: (await chatModel.respond("still there?")).content,
    };
  },
  async callbacks(client) {
    const model = await client.llm.model(CHAT_MODEL);
    const progress = [];
    let firstToken = 0;
    const fragments = [];
    const result = await model.respond(PROMPTS.callbacks, {
      onPromptProcessingProgress: (p) => progress.push(p),
      onFirstToken: () => (firstToken += 1),
      onPredictionFragment: (fragment) => fragments.push(fragment.content),
    });
    return { prompt: PROMPTS.callbacks, progress, firstTokenCalls: firstToken, fragments, ...resultOf(result) };
  },
  async gbnf(client) {
    const model = await client.llm.model(CHAT_MODEL);
    const result = await model.respond("Yes or no?", { structured: { type: "gbnf", gbnfGrammar: GRAMMAR } });
    return { grammar: GRAMMAR, ...resultOf(result) };
  },
  async embedding_load_unload(client) {
    const before = ids(await client.embedding.listLoaded());
    const handle = await client.embedding.load(EMBED_MODEL, { identifier: "conformance-embed-ts" });
    const during = ids(await client.embedding.listLoaded());
    const dimension = (await handle.embed("loaded twice")).embedding.length;
    await handle.unload();
    const after = ids(await client.embedding.listLoaded());
    return { identifier: handle.identifier, dimension, before, during, after };
  },
  async system(client) {
    const logs = [];
    const unsubscribe = client.diagnostics.unstable_streamLogs((event) => logs.push(event));
    await client.system.notify({ title: "Conformance", description: "from the official client" });
    await client.system.unstable_setExperimentFlag("conformance-flag", true);
    const flags = await client.system.unstable_getExperimentFlags();
    const model = await client.llm.model(CHAT_MODEL);
    // The subscription opens the diagnostics socket, which may still be connecting when the
    // first prediction runs (no log then, as in LM Studio): predict until a log arrives.
    for (let attempt = 0; attempt < 10 && logs.length === 0; attempt++) {
      await model.respond("Log this prediction");
      for (let i = 0; i < 10 && logs.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    }
    unsubscribe();
    const result = { flags, logTypes: logs.map((e) => e.data?.type) };
    if (sdkVersion.startsWith("2.")) {
      result.variants = (await client.system.listDownloadedModelVariants(CHAT_MODEL)).map((m) => m.modelKey);
      result.processingState = await model.getInstanceProcessingState();
      result.basePredictionConfigKeys = Object.keys(await model.getBasePredictionConfig()).sort();
    }
    return result;
  },
  async draft(client) {
    const model = await client.llm.model(CHAT_MODEL);
    const drafted = [];
    const result = await model.respond(PROMPTS.draft, {
      draftModel: "fake/reasoning",
      onPredictionFragment: (fragment) => drafted.push(fragment.containsDrafted),
    });
    return {
      prompt: PROMPTS.draft,
      drafted,
      usedDraftModelKey: result.stats.usedDraftModelKey ?? null,
      acceptedDraftTokensCount: result.stats.acceptedDraftTokensCount ?? null,
      ...resultOf(result),
    };
  },
  async concurrent(client) {
    const model = await client.llm.model(CHAT_MODEL);
    const prompts = [0, 1, 2, 3].map((n) => `Concurrent request number ${n} says hi`);
    const contents = await Promise.all(prompts.map(async (p) => (await model.respond(p)).content));
    return { prompts, contents };
  },
  // Every endpoint outside plugins that the 2.0.0 client can call (the other steps cover the
  // rest): each call must be answered (a result or an error), never judged invalid.
  async surface(client) {
    if (!sdkVersion.startsWith("2.")) return { supported: false };
    const seconds = Math.max(1, args.stepTimeout / 8);
    async function probe(fn) {
      try {
        const value = await withTimeout(Promise.resolve().then(fn), seconds);
        let data = null; // the value as JSON, for the checks of its contents
        try {
          // A Map (engine selections) as an object, so its entries are seen.
          const text = JSON.stringify(value ?? null, (_, v) => (v instanceof Map ? Object.fromEntries(v) : v));
          if (text.length < 50_000) data = JSON.parse(text);
        } catch {
          data = null; // not JSON-able (a handle): its type is the answer
        }
        return { answered: true, ok: true, type: Array.isArray(value) ? "array" : typeof value, value: data };
      } catch (error) {
        const message = String(error?.message ?? error).slice(0, 300);
        return { answered: !message.startsWith("timed out after"), ok: false, message };
      }
    }
    // The fake's installed engines and downloadable extension (lmstudio/testing/_endpoints/runtime.py).
    const engine = { name: "llama.cpp-linux-x86_64-avx2", version: "1.50.2" };
    const oldEngine = { name: "llama.cpp-linux-x86_64-avx2", version: "1.49.0" };
    const extension = { name: "llama.cpp-linux-x86_64-vulkan-avx2", version: "1.51.0" };
    const llm = client.llm.createDynamicHandle(CHAT_MODEL);
    const embedding = client.embedding.createDynamicHandle(EMBED_MODEL);
    const file = await client.files.prepareFileBase64("notes.txt", Buffer.from("Some notes.").toString("base64"));
    // A plugin folder, for the fake to list, install and publish (folders of its own machine);
    // its owner is the user the fake logs in as (lmstudio/testing/README.md, Hub login).
    const artifactFolder = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "lms-artifact-"));
    const manifest = { type: "plugin", runner: "node", owner: "fake-user", name: "conformance-plugin" };
    fs.writeFileSync(path.join(artifactFolder, "manifest.json"), JSON.stringify(manifest));
    const downloadFolder = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "lms-download-"));
    const calls = {
      "system/info": () => client.system.getInfo(),
      // The alive channel stays open while connected: opened and not failed is the answer.
      "system/alive": () =>
        Promise.race([client.system.whenDisconnected(), new Promise((r) => setTimeout(() => r("open"), 200))]),
      "system/startHttpServer": () => client.system.startHttpServer({ port: 41999, cors: false }),
      "system/stopHttpServer": () => client.system.stopHttpServer(),
      "system/requestShutdown": () => client.system.requestShutdown(),
      "llm/estimateModelUsage": () => client.llm.estimateResourcesUsage(TOOLS_MODEL, {}),
      "embedding/estimateModelUsage": () => client.embedding.estimateResourcesUsage(EMBED_MODEL, {}),
      "llm/preloadDraftModel": () => llm.unstable_preloadDraftModel(REASONING_MODEL),
      "llm/getInstanceProcessingState": () => llm.getInstanceProcessingState(),
      "embedding/getInstanceProcessingState": () => embedding.getInstanceProcessingState(),
      "embedding/getBasePredictionConfig": () => embedding.getEvalBatchSize(),
      "embedding/getLoadConfig": () => embedding.getLoadConfig(),
      "files/getLocalFileAbsolutePath": () => file.getFilePath(),
      "files/getDocumentParsingLibrary": () => client.files.getDocumentParsingLibrary(file),
      "files/parseDocument": () => client.files.parseDocument(file),
      "files/retrieve": async () =>
        client.files.retrieve("notes", [file], { embeddingModel: await client.embedding.model(EMBED_MODEL) }),
      "repository/lmLinkStatus": () => client.repository.lmLink.status(),
      "repository/lmLinkSetDisabled": () => client.repository.lmLink.setDisabled(false),
      "repository/lmLinkUpdateDeviceName": () => client.repository.lmLink.updateDeviceName("conformance"),
      "repository/lmLinkSetPreferredDevice": () => client.repository.lmLink.setPreferredDevice("fake-device-1"),
      "repository/installPluginDependencies": () => client.repository.installPluginDependencies(artifactFolder),
      "repository/getLocalArtifactFiles": () => client.repository.getLocalArtifactFileList(artifactFolder),
      "repository/getAuthenticationStatus": () => client.repository.getAuthenticationStatus(),
      "repository/isAuthenticated": () => client.repository.isAuthenticated(),
      "repository/deauthenticate": () => client.repository.deauthenticate(),
      "repository/loginAsComputeDevice": () => client.repository.loginAsComputeDevice("fake-device-token-org-conformance"),
      "repository/loginWithPreAuthenticatedKeys": () =>
        client.repository.loginWithPreAuthenticatedKeys({ keyId: "k", publicKey: "p", privateKey: "s" }),
      "repository/ensureAuthenticated": () => client.repository.ensureAuthenticated({ onAuthenticationCode: () => {} }),
      "repository/installLocalPlugin": () => client.repository.installLocalPlugin({ path: artifactFolder }),
      // Logged in as fake-user by now (loginWithPreAuthenticatedKeys), the manifest's owner.
      "repository/pushArtifact": async () => {
        const messages = [];
        await client.repository.pushArtifact({ path: artifactFolder, onMessage: (m) => messages.push(m) });
        return messages;
      },
      // A download that succeeds (the 2.0.0 SDK lets a failed one's error escape as an
      // unhandled rejection, so none is tried here).
      "repository/downloadArtifact": async () => {
        const progress = [];
        await client.repository.downloadArtifact({
          owner: "lmstudio", name: "dice", revisionNumber: 2, path: downloadFolder,
          onProgress: (u) => progress.push(u),
        });
        return { progress, files: fs.readdirSync(downloadFolder).sort() };
      },
      "repository/createDownloadPlan": async () => {
        const planner = client.repository.createModelDownloadPlanner({
          source: { type: "huggingface", user: "fake", repo: "hub-chat-3b" },
        });
        try {
          await planner.untilReady();
          return planner.getPlan();
        } finally {
          planner[Symbol.dispose]();
        }
      },
      "repository/getModelCatalog": () => client.repository.unstable.getModelCatalog(),
      "repository/getWritableArtifactOwners": () => client.repository.unstable.getWritableArtifactOwners(),
      "repository/fuzzyFindStaffPicks": () => client.repository.unstable.fuzzyFindStaffPicks({}),
      "runtime/listEngines": () => client.runtime.engine.list(),
      "runtime/getEngineSelections": () => client.runtime.engine.getSelections(),
      "runtime/selectEngine": () => client.runtime.engine.select(engine, "GGUF"),
      "runtime/removeEngine": () => client.runtime.engine.remove(oldEngine),
      "runtime/surveyHardware": () => client.runtime.surveyHardware(),
      "runtime/surveyHardware(all)": () => client.runtime.surveyHardware({ type: "all" }),
      "runtime/searchRuntimeExtensions": () => client.runtime.extensions.search("llama.cpp"),
      "runtime/downloadRuntimeExtension": () => client.runtime.extensions.download(extension, {}),
    };
    const outcomes = {};
    for (const [name, fn] of Object.entries(calls)) outcomes[name] = await probe(fn);
    fs.rmSync(artifactFolder, { recursive: true, force: true });
    fs.rmSync(downloadFolder, { recursive: true, force: true });
    return { supported: true, outcomes };
  },
  // Runs last: it unloads and reloads the embedding model the other steps use.
  async query_jit(client) {
    // A publisher/name query (a prefix of fake/tools' path, in another case) loads just in
    // time, under the model key.
    const tools = await client.llm.model(TOOLS_QUERY);
    const toolsInfo = await tools.getModelInfo();
    // A JIT embedding model, by a path prefix, then a JIT LLM that evicts it.
    await client.embedding.unload(EMBED_MODEL);
    const embed = await client.embedding.model(EMBED_QUERY);
    const tokens = await embed.tokenize(JIT_TEXT);
    const count = await embed.countTokens(JIT_TEXT);
    const embeddingsWhileJit = ids(await client.embedding.listLoaded());
    await client.llm.model(REASONING_MODEL);
    const embeddingsAfter = ids(await client.embedding.listLoaded());
    const llmsAfter = ids(await client.llm.listLoaded());
    let evicted = { rejected: false };
    try {
      await withTimeout(client.embedding.createDynamicHandle(EMBED_MODEL).embed("x"), args.stepTimeout / 4);
    } catch (error) {
      evicted = { rejected: true, message: String(error?.message ?? error).slice(0, 2000) };
    }
    await client.embedding.load(EMBED_MODEL, { identifier: EMBED_MODEL });
    await client.llm.unload(REASONING_MODEL);
    return {
      query: TOOLS_QUERY,
      toolsIdentifier: tools.identifier,
      toolsModelKey: toolsInfo.modelKey,
      embedIdentifier: embed.identifier,
      text: JIT_TEXT,
      tokens,
      count,
      embeddingsWhileJit,
      embeddingsAfter,
      llmsAfter,
      evicted,
      restored: ids(await client.embedding.listLoaded()),
    };
  },
};

function withTimeout(promise, seconds) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const report = {
  client: "typescript",
  sdkVersion,
  node: process.version,
  steps: {},
  problems,
  chatter,
};

function writeReport() {
  fs.writeFileSync(args.report, JSON.stringify(report, null, 1));
}

async function main() {
  const wanted = args.steps ?? Object.keys(steps);
  const unknown = wanted.filter((s) => !(s in steps));
  if (unknown.length) throw new Error(`unknown steps: ${unknown}`);
  const client = new sdk.LMStudioClient({ baseUrl: `ws://${args.host}`, logger, verboseErrorMessages: true });
  for (const name of wanted) {
    currentStep = name;
    const started = Date.now();
    try {
      const result = await withTimeout(steps[name](client), args.stepTimeout);
      report.steps[name] = { ok: true, seconds: (Date.now() - started) / 1000, result };
    } catch (error) {
      report.steps[name] = {
        ok: false,
        seconds: (Date.now() - started) / 1000,
        error: describe([error]),
        stack: error && error.stack ? String(error.stack).slice(0, 4000) : undefined,
      };
    }
    writeReport();
  }
  currentStep = "end";
}

main()
  .catch((error) => {
    report.fatal = describe([error]);
  })
  .finally(() => {
    writeReport();
    // A hung official call keeps sockets and timers alive: leave without waiting for them.
    process.exit(0);
  });
