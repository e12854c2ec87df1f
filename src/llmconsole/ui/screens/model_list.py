"""The main screen's models and what comes with them (discovery, picking, the title, the context gauge, quota,
cost, the key)."""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING

from llmconsole.core.errors import LLMConsoleError
from llmconsole.ui.messages import ModelsFailed, ModelsLoaded
from llmconsole.ui.widgets.formatting import conversation_cost, describe_error, key_text, total_cost_text

if TYPE_CHECKING:
    from collections.abc import Sequence

    from llmconsole.core.events import ResponseStarted
    from llmconsole.core.proxy.models import ModelInfo
    from llmconsole.ui.screens.main import MainScreen

COUNT_DEBOUNCE_S = 0.4
"""The proxy counts the context's tokens after this pause in typing."""


class ModelActions:
    """The main screen's models: discovery, the list, the current model, the title, the context gauge, quota,
    cost and the key's spend."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    def reload_models(self) -> None:
        self.screen.sidebar.show_loading()
        self.start_discovery()

    def start_discovery(self) -> None:
        self.screen.run_worker(self.discover(), exclusive=True, group="discovery", exit_on_error=False)

    async def discover(self) -> None:
        if self.screen._client is None:
            # The client's modules (httpx, the error parsers) load in a thread: the loop keeps painting.
            await asyncio.to_thread(_import_client_modules, self.screen.settings.demo)
        try:
            models = await self.screen.client.discover(
                recheck=self.screen._reload_asked
            )  # f5 re-checks learned endpoints
        except LLMConsoleError as exc:
            self.screen.post_message(ModelsFailed(exc))
            return
        self.screen.post_message(ModelsLoaded(models))

    def loaded(self, event: ModelsLoaded) -> None:
        self.apply_models(event.models)
        if self.screen._reload_asked and not event.from_cache:
            self.screen._reload_asked = False
            count = len(event.models)
            self.screen.notify(
                f"Model list reloaded: {count} model{'s' if count != 1 else ''} from {self.screen.settings.host}."
            )
        if not event.from_cache and not self.screen._key_info_asked:
            self.screen._key_info_asked = True
            self.screen.run_worker(self.fetch_key_info(), exclusive=True, group="key-info", exit_on_error=False)

    def failed(self, event: ModelsFailed) -> None:
        line = describe_error(event.error)
        self.screen.sidebar.show_error(line)
        self.screen._reload_asked = False
        self.screen.notify(line, title="Model discovery failed", severity="error")

    def apply_models(self, models: list[ModelInfo]) -> None:
        self.screen.models = list(models)
        by_id = {m.id: m for m in self.screen.models}
        wanted = self.screen.model.id if self.screen.model is not None else self.screen.settings.default_model
        chosen = by_id.get(wanted) if wanted else None
        if chosen is None and self.screen.model is None and self.screen.models:
            chosen = self.screen.models[0]
        if chosen is not None:
            self.screen.model = chosen
        self.screen.sidebar.set_models(
            self.screen.models, current_id=self.screen.model.id if self.screen.model else None
        )
        self.model_changed()

    def find_model(self, model_id: str) -> ModelInfo | None:
        return next((m for m in self.screen.models if m.id == model_id), None)

    def select_model(self, model_id: str) -> bool:
        """Make ``model_id`` the current model (the conversation continues with it)."""
        model = self.find_model(model_id)
        if model is None:
            self.screen.notify(f"Unknown model: {model_id}", severity="error")
            return False
        if self.screen.model is not None and model.id == self.screen.model.id:
            return True
        self.screen.model = model
        self.screen.sidebar.set_current(model.id)
        self.model_changed()
        if self.screen.conversation.messages:
            self.screen.pane.add_notice(f"Switched to {model.id}; the conversation continues with it.")
        return True

    def model_changed(self) -> None:
        self.screen.status_bar.set_model(self.screen.model)
        self.show_quota()
        self.update_title()
        self.update_context()

    def update_title(self) -> None:
        host = self.screen.settings.label  # the profile's name too
        if self.screen._unencrypted:  # the key travels in clear text to another host: said in the title too
            host = f"{host} · UNENCRYPTED"
        key = self.screen.key_info
        key_part = key_text(key.alias, key.spend, key.max_budget) if key is not None else None
        self.screen.title = f"llmconsole · {key_part}" if key_part else "llmconsole"
        self.screen.sub_title = f"{host} · {self.screen.model.id}" if self.screen.model else host
        self.screen.app.sub_title = self.screen.sub_title

    def update_context(self) -> None:
        """The context gauge now (a local estimate where nothing is counted yet: microseconds), then an exact
        count from the proxy after a pause (debounced; never blocks a key)."""
        if self.screen.model is None:
            self.screen.gauge = None
            self.screen.status_bar.set_context(None)
            return
        prompt = self.screen.prompt_text
        images = 0
        if self.screen.is_mounted:  # text files and pastes count as the blocks they become; images and PDFs as files
            blocks, images = self.screen.attachments.gauge_inputs()
            prompt = f"{prompt}\n\n{blocks}" if blocks else prompt
        # (Before anything is sent, the session need not exist yet: an empty conversation.)
        messages = self.screen._session.conversation.messages if self.screen._session is not None else ()
        gauge = self.screen.meter.gauge(
            self.screen.model, self.screen.system_prompt, messages, prompt=prompt, images=images
        )
        self.screen.gauge = gauge
        self.screen.status_bar.set_context(gauge.percent, gauge.text())
        self.screen.status_bar.tooltip = f"Context: {gauge.describe()}"
        if self.screen._client is not None and getattr(self.screen.meter.counter, "available", True) is not False:
            if self.screen._count_timer is not None:
                self.screen._count_timer.stop()
            self.screen._count_timer = self.screen.set_timer(COUNT_DEBOUNCE_S, self.count_tokens)

    def count_tokens(self) -> None:
        self.screen._count_timer = None
        self.screen.run_worker(self.refine_context(), group="ctx-count", exclusive=True, exit_on_error=False)

    async def refine_context(self) -> None:
        from llmconsole.core.chat.context import ProxyTokenCounter

        model = self.screen.model
        if model is None:
            return
        if self.screen.session.meter.counter is None:
            self.screen.session.meter.counter = ProxyTokenCounter(self.screen.client)
        changed = await self.screen.session.meter.refine(
            model, self.screen.system_prompt, list(self.screen.conversation.messages), prompt=self.screen.prompt.text
        )
        if changed:
            self.update_context()

    def pick_model(
        self, preselect_id: str | None = None, *, then_resend: bool = False, first: Sequence[str] = ()
    ) -> None:
        """Open the model picker (``first``: ids listed first, e.g. the smaller siblings after a rate limit)."""
        from llmconsole.ui.screens.model_picker import ModelPickerModal

        if not self.screen.models:
            self.screen.notify("No models yet: discovery is still running or failed (f5 retries).", severity="warning")
            return

        def picked(model_id: str | None) -> None:
            self.screen.focus_prompt()
            if model_id is None or not self.select_model(model_id):
                return
            if then_resend:
                self.screen._clear_countdown()
                self.screen._retry_last()

        current = self.screen.model.id if self.screen.model else None
        title = "Switch to a smaller model" if then_resend and first else "Pick a model"
        picker = ModelPickerModal(
            self.screen.models, current_id=current, preselect_id=preselect_id, title=title, first=first
        )
        self.screen.app.push_screen(picker, picked)

    def reload(self) -> None:
        """f5: discover the models again, saying so now and when the list has arrived."""
        self.screen._reload_asked = True
        self.screen.notify(f"Reloading the model list from {self.screen.settings.host}…", timeout=3)
        self.reload_models()

    def record_reply_started(self, event: ResponseStarted, model: ModelInfo) -> None:
        """A reply was accepted: keep its quota (per model) and the key's spend (when > 0)."""
        if event.endpoint != model.endpoint and self.screen._client is not None and self.screen._client.models:
            self.apply_models(self.screen._client.models)  # the client learned the model's endpoint: show the badge
            api = "Chat Completions" if event.endpoint == "chat" else "the Responses API"
            self.screen.notify(f"{model.id} answers through {api}: used from now on (--forget-learned forgets it).")
        if event.quota is not None:
            self.screen.quotas[model.id] = (event.quota, self.screen.clock())
            if self.screen.model is not None and model.id == self.screen.model.id:
                self.show_quota()
        if event.key_spend is not None and event.key_spend > 0:
            from llmconsole.core.proxy.client import KeyInfo

            key = self.screen.key_info or KeyInfo()
            self.screen.key_info = KeyInfo(alias=key.alias, spend=event.key_spend, max_budget=key.max_budget)
            self.update_title()

    def show_quota(self) -> None:
        entry = self.screen.quotas.get(self.screen.model.id) if self.screen.model is not None else None
        if entry is None:
            self.screen.status_bar.set_quota(None)
        else:
            self.screen.status_bar.set_quota(*entry)

    def update_total_cost(self) -> None:
        self.screen.status_bar.set_total_cost(total_cost_text(*conversation_cost(self.screen.conversation.messages)))

    async def fetch_key_info(self) -> None:
        """``/key/info`` once, after discovery; nothing is shown where the proxy refuses it."""
        info = await self.screen.client.key_info()
        if info is None or (info.alias is None and info.spend is None and info.max_budget is None):
            return
        if self.screen.key_info is not None and self.screen.key_info.spend is not None:
            spend = self.screen.key_info.spend if info.spend is None else max(info.spend, self.screen.key_info.spend)
            from llmconsole.core.proxy.client import KeyInfo

            info = KeyInfo(alias=info.alias, spend=spend, max_budget=info.max_budget)
        self.screen.key_info = info
        self.update_title()


def _import_client_modules(demo: bool) -> None:
    """Import what :class:`ProxyClient` needs (run in a thread, after the first paint)."""
    importlib.import_module("llmconsole.core.proxy.client")
    importlib.import_module("llmconsole.core.chat.session")  # what sending needs (the session is made on first use)
    if demo:
        importlib.import_module("llmconsole.core.demo")
