"""State shared by every page: the engine, cached loads, the view's filters and the link.

Each page runs through :func:`run`, which builds one :class:`Context` per script run
(:func:`frame`, from the filters in the session) and draws the page; ``app.py`` then
draws the sidebar (:func:`sidebar_from_main_script`). A callback gets the run's
context from :func:`context`. Loaded data is cached by
:func:`tracker.queries.data_version`, so an edit shows everywhere at once, and the
annual view by that version plus the choices that change figures.

The filters live in the URL query string (:meth:`ViewQuery.to_params`): a copied link
opens the same view, and Back/Forward restore the filters of the previous link.
"""

from __future__ import annotations

import ctypes
import importlib
import logging
import os
import re
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.delta_generator import DeltaGenerator

from dashboard import auth, charts
from tracker import exports, queries, snapshot, views
from tracker.bootstrap import get_engine
from tracker.config import database_url, public_url
from tracker.csv_io import table_to_csv
from tracker.errors import CapexError, database_errors
from tracker.normalize import AnnualView, Inclusion, Resolution, resolve, view_of
from tracker.query import CompanyRows, ViewQuery, filter_rows
from tracker.vocab import Measure, Scope

_LOG = logging.getLogger(__name__)
FX_SOURCE = "ECB reference rates (monthly averages)"
SOURCE = "Source: capex-tracker"
UNIT = "USD bn / year"

# Query-string names that belong to the view (other parameters are left alone).
VIEW_PARAMS = ("as_of", "companies", "countries", "scopes", "years", "measure", "ventures", "press")
# Sidebar widget keys.
K_COMPANIES, K_COUNTRIES, K_SCOPES = "f_companies", "f_countries", "f_scopes"
K_YEARS, K_MEASURE, K_AS_OF = "f_years", "f_measure", "f_as_of"
K_VENTURES, K_PRESS = "f_ventures", "f_press"
# The pages: (section, file relative to app.py, title, url path, icon). The first is the
# default page, served at the root URL.
NAV: tuple[tuple[str, str, str, str, str], ...] = (
    ("Analysis", "screens/overview.py", "Overview", "overview", ":material/leaderboard:"),
    ("Analysis", "screens/comparison.py", "Comparison", "comparison", ":material/table_chart:"),
    ("Analysis", "screens/company.py", "Company", "company", ":material/apartment:"),
    (
        "Analysis",
        "screens/compare_announcements.py",
        "Compare announcements",
        "compare-announcements",
        ":material/compare_arrows:",
    ),
    (
        "Analysis",
        "screens/programmes.py",
        "Programmes & pledges",
        "programmes",
        ":material/handshake:",
    ),
    (
        "Analysis",
        "screens/guidance.py",
        "Guidance history",
        "guidance-history",
        ":material/timeline:",
    ),
    ("Analysis", "screens/whats_new.py", "What's new", "whats-new", ":material/new_releases:"),
    ("Data", "screens/announcements.py", "Announcements", "announcements", ":material/list:"),
    ("Data", "screens/add.py", "Add announcement", "add", ":material/add_circle:"),
    ("Data", "screens/import_csv.py", "Import CSV", "import", ":material/upload_file:"),
    ("Data", "screens/history.py", "Edit history", "history", ":material/history:"),
    ("About", "screens/methodology.py", "Methodology", "methodology", ":material/menu_book:"),
)
_CTX = "_capex_context"
_WRITTEN = "_capex_params_written"
_PAGE = "_capex_page"
_QUERY = "_capex_query"
_CHART_CODE_ASKED = "_capex_chart_code_asked"
# The as-of date is typed as text (applied on Enter, which st.date_input does not do: a
# typed date there applies only when the field loses focus); K_AS_OF holds the date.
K_AS_OF_TEXT, _AS_OF_ERROR = "f_as_of_text", "_capex_as_of_error"
WIDGET_KEYS = (
    K_COMPANIES,
    K_COUNTRIES,
    K_SCOPES,
    K_YEARS,
    K_MEASURE,
    K_AS_OF,
    K_AS_OF_TEXT,
    K_VENTURES,
    K_PRESS,
)


# --- text safety ---------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&^=\"'])")


def md_escape(text: object) -> str:
    """Text from data made safe for Streamlit markdown (st.warning, st.caption, labels):
    every ASCII punctuation mark that markdown, LaTeX or colour syntax reads is escaped,
    so a name like ``[x](http://...)`` shows as typed instead of a link."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def show_error(error: BaseException | str) -> None:
    """A user-facing error, shown as plain text (never rendered as markdown)."""
    st.error(md_escape(str(error)), icon=":material/error:")


@contextmanager
def page_errors() -> Iterator[None]:
    """Around a page: a database or I/O failure anywhere in it shows one sentence (what
    failed, what to do) instead of a traceback; the details go to the server log.
    Programming errors still surface as exceptions."""
    try:
        with database_errors("show this page"):
            yield
    except CapexError as error:
        show_error(error)


# --- engine and cached loads ---------------------------------------------------------


def engine() -> Engine:
    return get_engine()


# Loads and views are cached with st.cache_resource, not st.cache_data: cache_data
# pickles a result on every hit and hands back a copy (at 100k announcements tens of
# MiB per rerun). The objects returned here are shared by every session and treated as
# read-only: pages filter and derive new frames (pandas copy-on-write), never assign
# into them. The version key changes with every write, so an edit shows at once; old
# versions fall out of the bounded caches.


@st.cache_resource(show_spinner=False, max_entries=2)
def _announcements(url: str, version: tuple) -> pd.DataFrame:
    # From the snapshot a server's earlier run wrote, when the data has not changed
    # since (100k announcements: about 0.1 s instead of 1.2-1.4 s from SQLite).
    frame = snapshot.live_announcements(engine(), version, write_in_background=True)
    # The load's temporaries (the driver's rows, Arrow's blocks) are freed by now; given
    # back before the first view is built on top of them (at a million announcements
    # the server's RSS after the load 760 -> 480 MiB).
    give_back_free_memory()
    return frame


@st.cache_resource(show_spinner=False, max_entries=2)
def _companies(url: str, version: tuple) -> pd.DataFrame:
    return queries.companies_frame(engine())


@st.cache_resource(show_spinner=False, max_entries=2)
def _choices(url: str, version: tuple) -> tuple[list[str], list[str], tuple[int, int]]:
    """The sidebar's companies, countries and year range (once per data version, not
    on every run: the years scan every announcement)."""
    companies = _companies(url, version)
    names = sorted(companies["name"].astype(str))
    countries = sorted(companies["country"].dropna().astype(str).unique())
    return names, countries, year_bounds(_announcements(url, version))


@st.cache_resource(show_spinner=False, max_entries=2)
def _data_as_of(url: str, version: tuple) -> date | None:
    return queries.data_as_of(engine())


@st.cache_resource(show_spinner=False, max_entries=2)
def _filing_metrics(url: str, version: tuple) -> pd.DataFrame:
    return queries.filing_metrics_frame(engine())


# Announcements up to which the resolution of every scope is kept for scope changes.
KEEP_RESOLUTION_UP_TO = 200_000
# The key of the resolution _resolution holds (its one entry is the latest it computed).
# Only a hint for _view: a stale one costs a resolve of every scope, never a wrong figure.
_RESOLVED: dict[str, tuple] = {}


@st.cache_resource(show_spinner=False, max_entries=1)
def _resolution(url: str, version: tuple, as_of: date, ventures: bool, press: bool) -> Resolution:
    """Every scope resolved at ``as_of``: a scope change builds its view from this
    instead of resolving again (at 100k announcements 0.5 s -> about 0.2 s). One entry:
    it holds a row per announcement and month (about 25 MiB at 100k)."""
    _RESOLVED["key"] = (url, version, as_of, ventures, press)
    return resolve(_announcements(url, version), as_of, include=Inclusion(ventures, press))


# Chosen companies are resolved alone up to this many of their announcements (at 100k
# synthetic announcements some 130 companies); a larger choice (a country holding most
# companies) is cut from the view of every company, which the warm-up has ready, so
# each cached view keeps at most this many rows of its own.
CHOSEN_ROWS_UP_TO = 20_000


def _view(
    url: str,
    version: tuple,
    as_of: date,
    scopes: tuple[str, ...],
    ventures: bool,
    press: bool,
    companies: tuple[str, ...],
    countries: tuple[str, ...],
) -> AnnualView:
    """The view of ``scopes`` for the chosen ``companies`` and ``countries``, or of
    every company (neither set, or more than CHOSEN_ROWS_UP_TO announcements chosen:
    the caller filters it). A few chosen companies are resolved alone
    (:func:`tracker.query.chosen_companies`: at 100k announcements a date change with
    one company chosen 0.34 -> 0.09 s in the server, at a million 2.6 -> 0.1 s)."""
    if companies or countries:
        # One cache entry whatever the order the names were chosen in.
        companies, countries = tuple(sorted(set(companies))), tuple(sorted(set(countries)))
        chosen = ViewQuery(companies=companies, countries=countries)
        if _company_rows(url, version).count(chosen) <= CHOSEN_ROWS_UP_TO:
            key = (as_of, scopes, ventures, press)
            return _chosen_view(url, version, key, companies, countries)
    return _every_view(url, version, as_of, scopes, ventures, press)


@st.cache_resource(show_spinner=False, max_entries=16)
def _chosen_view(
    url: str, version: tuple, key: tuple, companies: tuple[str, ...], countries: tuple[str, ...]
) -> AnnualView:
    """The view of the chosen companies alone at ``key`` (:func:`_view_key`: as-of,
    scopes, ventures, press), in a cache of its own, so they never evict the views of
    every company."""
    as_of, scopes, ventures, press = key
    frame = _chosen(url, version, companies, countries)
    return view_of(resolve(frame, as_of, None, Inclusion(ventures, press), scopes))


@st.cache_resource(show_spinner=False, max_entries=8)
def _chosen(
    url: str, version: tuple, companies: tuple[str, ...], countries: tuple[str, ...]
) -> pd.DataFrame:
    """The chosen companies' announcements, taken once for every date and scope (a
    take of every column of one company's rows cost 5-10 ms of each date change at
    100k). At most CHOSEN_ROWS_UP_TO rows each; read-only."""
    chosen = ViewQuery(companies=companies, countries=countries)
    return _company_rows(url, version).chosen(chosen)


@st.cache_resource(show_spinner=False, max_entries=16)
def _every_view(
    url: str, version: tuple, as_of: date, scopes: tuple[str, ...], ventures: bool, press: bool
) -> AnnualView:
    """The view of ``scopes`` for every company: from the resolution of every scope at
    this date when it is at hand (a scope change), else by resolving those scopes only
    (a date change while a scope is chosen: at 100k a third of the rows). Past
    KEEP_RESOLUTION_UP_TO announcements no resolution is kept: at a million it held
    some 250 MiB."""
    key = (url, version, as_of, ventures, press)
    if _RESOLVED.get("key") == key:
        return view_of(_resolution(*key), scopes)
    frame = _announcements(url, version)
    if scopes or len(frame) > KEEP_RESOLUTION_UP_TO:
        return view_of(resolve(frame, as_of, None, Inclusion(ventures, press), scopes))
    return view_of(_resolution(*key), scopes)


@st.cache_resource(show_spinner=False, max_entries=2)
def _company_rows(url: str, version: tuple) -> CompanyRows:
    """The loaded announcements with where each company's rows are (read-only)."""
    return CompanyRows.of(_announcements(url, version))


@st.cache_resource(show_spinner=False, max_entries=32)
def _company_figures(url: str, version: tuple, as_of: date, company: str) -> pd.DataFrame:
    """:func:`views.announcement_figures` of one company's live announcements. Revision
    links and ``supersedes`` never cross companies, so these are the company's rows of
    the whole table's, without formatting every other company's figures (taken where
    :class:`CompanyRows` keeps them, of every date: a revision may come later)."""
    own = _company_rows(url, version).chosen(ViewQuery(companies=(company,)))
    return views.announcement_figures(own, as_of)


@st.cache_resource(show_spinner=False, max_entries=16)
def _history(url: str, version: tuple, as_of: date, company: str) -> pd.DataFrame:
    """:func:`views.guidance_history` of one company's announcements known at ``as_of``
    (the pages chart one company at a time), from the rows the company filter keeps."""
    return views.guidance_history(_company_announcements(url, version, as_of, (company,), ()))


@st.cache_resource(show_spinner=False, max_entries=16)
def _delivered(url: str, version: tuple, as_of: date, company: str) -> pd.DataFrame:
    """:func:`views.guided_vs_delivered` of one company's history (40 ms at 100k
    announcements, on every run of the two pages that show it)."""
    return views.guided_vs_delivered(_history(url, version, as_of, company))


@st.cache_resource(show_spinner=False, max_entries=16)
def _default_comparison(url: str, version: tuple, as_of: date) -> tuple[int, ...]:
    """Compare announcements' default picks at ``as_of``: they depend on the data and
    the date alone, and finding them reads every row (50 ms at a million
    announcements), so once per date."""
    return tuple(views.default_comparison_ids(_announcements(url, version), as_of))


@st.cache_resource(show_spinner=False, max_entries=8)
def _listed(
    url: str, version: tuple, companies: tuple[str, ...], countries: tuple[str, ...], limit: int
) -> tuple[int, pd.DataFrame]:
    """How many live announcements (of every date) the company and country filters keep,
    and :func:`views.newest_linked` of them: once per filter, not on each run of the
    Announcements page (at a million announcements 300 ms a run, mostly the revision
    key of every row)."""
    query = ViewQuery(companies=companies, countries=countries)
    matching = _company_rows(url, version).chosen(query)
    return len(matching), views.newest_linked(matching, limit)


@st.cache_resource(show_spinner=False, max_entries=16)
def _company_announcements(
    url: str, version: tuple, as_of: date, companies: tuple[str, ...], countries: tuple[str, ...]
) -> pd.DataFrame:
    frame = _company_rows(url, version).chosen(ViewQuery(companies=companies, countries=countries))
    return frame[frame["announced_on"] <= pd.Timestamp(as_of)]


@st.cache_resource(show_spinner=False, max_entries=16)
def _filtered(
    url: str,
    version: tuple,
    view_key: tuple,
    which: str,
    companies: tuple[str, ...],
    countries: tuple[str, ...],
    years: tuple[int, int] | None,
) -> pd.DataFrame:
    view = _view(url, version, *view_key, companies, countries)
    query = ViewQuery(companies=companies, countries=countries, years=years)
    return filter_rows(view.headline if which == "headline" else view.by_basis, query)


def clear_caches() -> None:
    """Forget every cached load and view (after a write; the version key changes
    anyway, this only frees the memory at once)."""
    st.cache_data.clear()
    _RESOLVED.clear()
    for cached in (
        _announcements,
        _companies,
        _data_as_of,
        _choices,
        _filing_metrics,
        _resolution,
        _every_view,
        _chosen_view,
        _company_figures,
        _figure,
        _history,
        _delivered,
        _default_comparison,
        _company_rows,
        _chosen,
        _company_announcements,
        _listed,
        _filtered,
    ):
        cached.clear()


@dataclass
class Sidebar:
    """Places kept at the top of the sidebar, filled after the page (:func:`run`)."""

    account: DeltaGenerator
    links: DeltaGenerator
    filters: DeltaGenerator
    company_names: list[str] = field(default_factory=list)
    country_codes: list[str] = field(default_factory=list)
    bounds: tuple[int, int] = (0, 1)


@dataclass
class Context:
    """Everything a page needs for this run."""

    engine: Engine
    url: str
    version: tuple
    announcements: pd.DataFrame  # every live announcement
    companies: pd.DataFrame
    query: ViewQuery
    view: AnnualView  # of the chosen companies (of every company past CHOSEN_ROWS_UP_TO)
    headline: pd.DataFrame  # filtered
    by_basis: pd.DataFrame  # filtered
    data_as_of: date | None
    user: str  # who the history records for this visitor's writes ('' when none)
    access: auth.Access  # may this visitor write (dashboard.auth.write_access)
    page: str = ""  # the page's name (its file in screens/, without .py)
    sidebar: Sidebar | None = None  # where draw_sidebar puts the controls

    @property
    def measure(self) -> str:
        return self.query.measure

    @property
    def measure_label(self) -> str:
        return Measure(self.query.measure).label.lower()

    def company_figures(self, company: str) -> pd.DataFrame:
        """Every live announcement of ``company`` as USD per year at the as-of date, with
        its figure texts, revision link and status (cached per company; read-only)."""
        return _company_figures(self.url, self.version, self.query.as_of, company)

    def guidance_history(self, company: str) -> pd.DataFrame:
        """:func:`views.guidance_history` of ``company``'s announcements known at the
        as-of date (cached per company; read-only)."""
        return _history(self.url, self.version, self.query.as_of, company)

    def guided_vs_delivered(self, company: str) -> pd.DataFrame:
        """:func:`views.guided_vs_delivered` of ``company``'s guidance history (cached
        per company; read-only)."""
        return _delivered(self.url, self.version, self.query.as_of, company)

    def filing_metrics(self) -> pd.DataFrame:
        return _filing_metrics(self.url, self.version)

    def announcements_of_owners(self, ids: Collection[int]) -> pd.DataFrame:
        """Every live announcement of the companies that own ``ids``: what
        :func:`views.figures_for` and :func:`views.texts_for` need for those ids
        (:meth:`CompanyRows.owning`; read-only)."""
        return _company_rows(self.url, self.version).owning(ids)

    def default_comparison(self) -> tuple[int, ...]:
        """:func:`views.default_comparison_ids` of the announcements known at the as-of
        date (cached per date: at 100k it scanned and sorted every row on each run)."""
        return _default_comparison(self.url, self.version, self.query.as_of)

    def company_announcements(self) -> pd.DataFrame:
        """Live announcements known at the as-of date, company and country filters only."""
        q = self.query
        return _company_announcements(self.url, self.version, q.as_of, q.companies, q.countries)

    def listed(self, limit: int) -> tuple[int, pd.DataFrame]:
        """How many live announcements of any date the company and country filters
        keep, and the ``limit`` newest of them with their revision links (cached per
        filter; read-only)."""
        q = self.query
        return _listed(self.url, self.version, q.companies, q.countries, limit)

    def reload(self) -> None:
        """Forget cached loads after a write (the version key changes anyway)."""
        clear_caches()


def context() -> Context:
    """The context :func:`frame` built for this run."""
    return st.session_state[_CTX]


def _find_malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, musl)."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    found: Callable[[int], int] = trim
    return found


_MALLOC_TRIM = _find_malloc_trim()
if _MALLOC_TRIM is not None and "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
    # Arrow's buffers (the loaded text columns, the load's blocks) from glibc's heap,
    # which malloc_trim empties. Arrow's own allocator (mimalloc) keeps the pages it
    # frees: at a million announcements some 280 MiB after the load, for the server's
    # life, and its release_unused gave back a tenth of them. Process-wide, as the
    # server is this module's process; an operator's ARROW_DEFAULT_MEMORY_POOL wins.
    pa.set_memory_pool(pa.system_memory_pool())


def give_back_free_memory() -> None:
    """Return the C heap's free pages to the system. A load or a view frees large
    temporaries (a 100k load builds a million Python objects on the way), and glibc
    keeps the freed pages in its heaps: after the warm-up at 100k announcements this
    takes the server's RSS from 396 to 307 MiB. A call takes about 2 ms; the price is
    that the next new view faults some of those pages in again (about 45 ms at 100k)."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def run(page: str, render: Callable[[Context], None]) -> None:
    """One page: :func:`frame`, the page itself, then the sidebar's controls. The
    sidebar is drawn last (into places kept at its top), so the page's own elements,
    its first chart among them, reach the browser before the dozen sidebar widgets;
    under :func:`sidebar_from_main_script` the main script draws it once the page has
    run. A failure in the page shows one sentence, and the sidebar still comes."""
    ctx = frame(page)
    try:
        with page_errors():
            render(ctx)
    finally:
        if getattr(_MAIN_SCRIPT, "places", None) is not None:
            _MAIN_SCRIPT.ctx = ctx
        else:
            _finish(ctx)


# The sidebar's places and the page's context while the main script (app.py) draws
# the sidebar after the page (one script run per thread).
_MAIN_SCRIPT = threading.local()


@contextmanager
def sidebar_from_main_script() -> Iterator[None]:
    """The sidebar as the main script's own elements: its places are kept before the
    page runs and filled after it. Streamlit's frontend keeps a main script's elements
    across a page switch and updates them in place, while a page's are cleared and
    mounted again: the dozen sidebar widgets drawn by each page made every page switch
    and rerun slower (a bare app with the same sidebar: page switch 0.19-0.24 -> 0.15
    s, rerun 0.15-0.18 -> 0.11 s)."""
    _MAIN_SCRIPT.places = _sidebar_places()
    _MAIN_SCRIPT.ctx = None
    try:
        yield
    finally:
        ctx = _MAIN_SCRIPT.ctx
        _MAIN_SCRIPT.places = _MAIN_SCRIPT.ctx = None
        if ctx is not None:
            _finish(ctx)


def _sidebar_places() -> Sidebar:
    return Sidebar(st.sidebar.container(), st.sidebar.container(), st.sidebar.container())


def _finish(ctx: Context) -> None:
    """After the page: the sidebar, the freed memory back, the first page marked drawn
    (the last two even when the sidebar fails)."""
    try:
        draw_sidebar(ctx)
    finally:
        give_back_free_memory()
        _FIRST_VIEW_READY.set()
        _PAGE_DRAWN.set()


def frame(page: str) -> Context:
    """What every page shares: load the data (cached by version), take the filters from
    the URL when it changed from outside, put the view back into the URL and build the
    context (the filters are read from the session before their widgets are drawn, by
    :func:`draw_sidebar`). A visitor who may not read sees one sentence."""
    places = getattr(_MAIN_SCRIPT, "places", None) or _sidebar_places()
    blocked = auth.read_blocked()
    if blocked:
        with places.account:
            auth.account_box()
        st.info(md_escape(blocked), icon=":material/lock:")
        st.stop()
    loader = _ask_for_chart_code()
    try:
        eng, url, version, announcements, companies = load_base()
        places.company_names, places.country_codes, places.bounds = _choices(url, version)
        sync_from_url(page, places.company_names, places.country_codes, places.bounds)
        query = query_from_widgets(places.bounds)
        write_to_url(query)
        ctx = build_context(eng, url, version, announcements, companies, query)
    except CapexError as error:
        with places.account:
            auth.account_box()
        show_error(error)
        st.stop()
    finally:
        loader.empty()
    ctx.page = page
    ctx.sidebar = places
    return ctx


# Set once this server process has the first view ready: the warm-up has built the
# default view, or a page has been drawn. Until then a first page waits for the server.
_FIRST_VIEW_READY = threading.Event()


def _ask_for_chart_code() -> DeltaGenerator:
    """While the server is still loading the data or building the first view (a cold
    start), a session's first run says so and draws a hidden empty chart before it
    waits for them: the browser fetches and compiles plotly's code (4.7 MB, about 2 s
    of a 2-core machine) during the wait instead of after it. Once the first view is
    ready the chart comes at once, and loading that code beside it only delays it, so
    then nothing is drawn. (With the data read from a snapshot, loaded 1.2 s sooner at
    100k announcements, the wait is the first view: keyed on the data alone, the chart
    code was asked for after the chart, and the cold first chart did not move.)
    Returns the place, emptied once the data are there (the code stays loaded)."""
    place = st.empty()
    if not _FIRST_VIEW_READY.is_set() and not st.session_state.get(_CHART_CODE_ASKED):
        st.session_state[_CHART_CODE_ASKED] = True
        with place.container():
            # The reader sees why the page is empty for a moment.
            st.caption("Loading the announcements…")
            with st.container(key="chart_code_loader"):
                st.html("<style>.st-key-chart_code_loader {display: none}</style>")
                st.plotly_chart(go.Figure(), config={"staticPlot": True})
    return place


def draw_sidebar(ctx: Context) -> None:
    """The sidebar's account box, page links and filters, into the places
    :func:`frame` kept for them."""
    places = ctx.sidebar
    if places is None:
        return
    with places.account:
        auth.account_box()
    with places.links:
        navigation(ctx.query.to_params())
    with places.filters:
        sidebar(places.company_names, places.country_codes, places.bounds)


def navigation(params: dict[str, str]) -> None:
    """Links to every page carrying the view's query string, so a page switch is one
    history entry with the filters in it and Back returns to the previous page and view
    (st.navigation's own links drop the query string; writing it back afterwards adds a
    second history entry, and Back then lands on the same page without its filters)."""
    section = None
    for group, path, title, _url_path, icon in NAV:
        if group != section:
            st.caption(group)
            section = group
        st.page_link(path, label=title, icon=icon, query_params=params)
    st.divider()


def sidebar(company_names: list[str], country_codes: list[str], bounds: tuple[int, int]) -> None:
    """The view's filters (in the current container)."""
    st.header("View")
    st.multiselect("Companies", company_names, key=K_COMPANIES, placeholder="All companies")
    st.multiselect("Countries", country_codes, key=K_COUNTRIES, placeholder="All countries")
    st.multiselect(
        "Scopes",
        Scope.values(),
        key=K_SCOPES,
        format_func=lambda s: Scope(s).label,
        placeholder="All scopes",
        help="What the money covers; different scopes are never added together.",
    )
    st.slider("Calendar years", bounds[0], bounds[1], key=K_YEARS)
    st.selectbox(
        "Measure",
        Measure.values(),
        key=K_MEASURE,
        format_func=lambda m: Measure(m).label,
        help="Which end of an announced range the figures use.",
    )
    st.text_input(
        "As of",
        key=K_AS_OF_TEXT,
        on_change=_as_of_typed,
        placeholder="YYYY-MM-DD",
        max_chars=10,
        help="Only announcements made on or before this date count (YYYY-MM-DD; "
        "press Enter to apply).",
    )
    problem = st.session_state.get(_AS_OF_ERROR)
    if problem:
        st.error(md_escape(problem), icon=":material/error:")
    st.toggle(
        "Include joint ventures",
        key=K_VENTURES,
        help="Ventures such as Stargate spend money that is also in their partners' capex.",
    )
    st.toggle(
        "Include press reports",
        key=K_PRESS,
        help="Figures reported by the press that the company has not confirmed.",
    )


def _as_of_typed() -> None:
    """Apply a typed as-of date (Enter or leaving the field); a date that cannot be read
    keeps the previous one and says why."""
    state = st.session_state
    text = str(state.get(K_AS_OF_TEXT) or "").strip()
    try:
        state[K_AS_OF] = date.fromisoformat(text) if text else date.today()
        state[_AS_OF_ERROR] = None
    except ValueError:
        state[_AS_OF_ERROR] = (
            f"'{text}' is not a date like 2026-03-01; still as of {state.get(K_AS_OF)}."
        )


# Modules only some pages import, loaded by the warm-up once the first page is drawn,
# so those pages' first visit does not wait for them: Comparison's table styling
# (pandas' Styler and its jinja2 templates, 70 ms on a 2-core machine). Loaded before
# the first page, they delayed it (see warm_up).
LATER_PAGE_MODULES = ("dashboard.tables",)

# Set once a page has been drawn in this server process: the warm-up's extra views wait
# for it, so they do not compete with the first visitor's page for the one Python
# thread that runs at a time.
_PAGE_DRAWN = threading.Event()


def warm_up(scope_views_after_first_page: float = 0.0) -> None:
    """Load the data and compute the default view into the caches before any session
    asks (at the server's start, :mod:`dashboard.serve`); then, once the first page has
    been drawn (waiting at most ``scope_views_after_first_page`` seconds), the view of
    each single scope at the same date, which a scope change then finds ready (0.1-0.15
    s each at 100k announcements, from the resolution at hand; not past
    KEEP_RESOLUTION_UP_TO, where each would resolve again), and where each company's
    rows are (:class:`~tracker.query.CompanyRows`). Built before the first
    page, they made it 0.6 s later at 100k; loading the other pages' modules
    (jinja2 for Comparison's table) up front made it 0.8 s later, so they are loaded
    last (LATER_PAGE_MODULES). Runs outside a script run: a failure is logged and left
    to the first page, which shows it in one sentence."""
    try:
        _eng, url, version, frame, _companies_frame = load_base()
        _choices(url, version)
        _data_as_of(url, version)
        as_of, _scopes, ventures, press = _view_key(ViewQuery())
        _view(url, version, as_of, (), ventures, press, (), ())
        _FIRST_VIEW_READY.set()
        give_back_free_memory()
        _PAGE_DRAWN.wait(scope_views_after_first_page)
        # Only from the resolution at hand: a first visitor who came with another date
        # or inclusion replaced it, and resolving each scope again for a view nobody
        # asked for would compete with that visitor.
        at_hand = _RESOLVED.get("key") == (url, version, as_of, ventures, press)
        if len(frame) <= KEEP_RESOLUTION_UP_TO and at_hand:
            for scope in Scope.values():
                _view(url, version, as_of, (scope,), ventures, press, (), ())
        # Where each company's rows are, for the first company filter (0.15-0.4 s at a
        # million announcements); not for data a write has replaced meanwhile.
        if queries.data_version(_eng) == version:
            _company_rows(url, version)
        for module in LATER_PAGE_MODULES:
            importlib.import_module(module)
    except Exception:
        _LOG.warning("warm-up failed; the first page will load the data", exc_info=True)
    give_back_free_memory()


def load_base() -> tuple[Engine, str, tuple, pd.DataFrame, pd.DataFrame]:
    eng = engine()
    url = database_url()
    version = queries.data_version(eng)
    return eng, url, version, _announcements(url, version), _companies(url, version)


def year_bounds(announcements: pd.DataFrame) -> tuple[int, int]:
    if announcements.empty:
        this = date.today().year
        return this - 1, this + 1
    first = int(pd.to_datetime(announcements["period_start"]).dt.year.min())
    last = int(pd.to_datetime(announcements["period_end"]).dt.year.max())
    return first, max(last, first + 1)


# --- the view in the URL -------------------------------------------------------------


def _url_params() -> dict[str, str]:
    return {k: str(v) for k, v in st.query_params.to_dict().items() if k in VIEW_PARAMS}


def _apply_to_widgets(
    query: ViewQuery, companies: list[str], countries: list[str], bounds: tuple[int, int]
) -> None:
    state = st.session_state
    state[K_COMPANIES] = [c for c in query.companies if c in companies]
    state[K_COUNTRIES] = [c for c in query.countries if c in countries]
    state[K_SCOPES] = [s for s in query.scopes if s in Scope.values()]
    first, last = bounds
    if query.years:
        lo = min(max(query.years[0], first), last)
        hi = min(max(query.years[1], first), last)
        state[K_YEARS] = (lo, hi)
    else:
        state[K_YEARS] = (first, last)
    state[K_MEASURE] = query.measure
    state[K_AS_OF] = query.as_of
    state[K_AS_OF_TEXT] = query.as_of.isoformat()
    state[_AS_OF_ERROR] = None
    state[K_VENTURES] = query.include_ventures
    state[K_PRESS] = query.include_press


def sync_from_url(
    page: str, companies: list[str], countries: list[str], bounds: tuple[int, int]
) -> None:
    """Before the sidebar is drawn: take the filters from the URL when it is new to this
    session or changed from outside (a pasted link, Back/Forward). A page switch that
    dropped the query string keeps the filters, which are then written back."""
    state = st.session_state
    current = _url_params()
    written = state.get(_WRITTEN)
    saved: ViewQuery | None = state.get(_QUERY)
    moved = state.get(_PAGE) not in (None, page)
    if written is None or saved is None or (current != written and not (moved and not current)):
        _apply_to_widgets(ViewQuery.from_params(current), companies, countries, bounds)
    elif moved or any(key not in state for key in WIDGET_KEYS):
        # A widget drawn by another page is another widget: carry the values over.
        _apply_to_widgets(saved, companies, countries, bounds)
    state[_PAGE] = page


def query_from_widgets(bounds: tuple[int, int]) -> ViewQuery:
    state = st.session_state
    years = tuple(int(y) for y in state[K_YEARS])
    as_of = state[K_AS_OF] or date.today()
    return ViewQuery(
        as_of=as_of,
        companies=tuple(state[K_COMPANIES]),
        countries=tuple(state[K_COUNTRIES]),
        scopes=tuple(state[K_SCOPES]),
        years=None if years == tuple(bounds) else (years[0], years[1]),
        measure=state[K_MEASURE],
        include_ventures=bool(state[K_VENTURES]),
        include_press=bool(state[K_PRESS]),
    )


def write_to_url(query: ViewQuery) -> None:
    """Put the view into the URL (only when it changed, so history stays clean)."""
    desired = query.to_params()
    if _url_params() != desired:
        others = {k: v for k, v in st.query_params.to_dict().items() if k not in VIEW_PARAMS}
        st.query_params.from_dict({**others, **desired})
    st.session_state[_WRITTEN] = desired
    st.session_state[_QUERY] = query


def _view_key(query: ViewQuery) -> tuple[date, tuple[str, ...], bool, bool]:
    """The choices that change figures: what _view is cached by, after the data."""
    return (query.as_of, query.scopes, query.include_ventures, query.include_press)


def build_context(
    eng: Engine,
    url: str,
    version: tuple,
    announcements: pd.DataFrame,
    companies: pd.DataFrame,
    query: ViewQuery,
) -> Context:
    access = auth.write_access()
    view_key = _view_key(query)
    view = _view(url, version, *view_key, query.companies, query.countries)
    filters = (query.companies, query.countries, query.years)
    ctx = Context(
        engine=eng,
        url=url,
        version=version,
        announcements=announcements,
        companies=companies,
        query=query,
        view=view,
        headline=_filtered(url, version, view_key, "headline", *filters),
        by_basis=_filtered(url, version, view_key, "by_basis", *filters),
        data_as_of=_data_as_of(url, version),
        user=access.user or "",
        access=access,
    )
    st.session_state[_CTX] = ctx
    return ctx


# --- page helpers --------------------------------------------------------------------


def header(ctx: Context, title: str, intro: str | None = None) -> None:
    """Page title, the data date (on every page) and a one-line introduction."""
    st.title(title)
    as_of = ctx.data_as_of.isoformat() if ctx.data_as_of else "no announcements yet"
    st.caption(f"Data as of {as_of} · view as of {ctx.query.as_of.isoformat()}")
    if intro:
        st.markdown(intro)
    if any(g == "Analysis" and p == f"screens/{ctx.page}.py" for g, p, *_ in NAV):
        cite(ctx)


def url_path(page: str) -> str:
    """The URL path of a page (``whats_new`` -> ``whats-new``); the default page is the
    root."""
    for i, (_group, path, _title, url_path, _icon) in enumerate(NAV):
        if path == f"screens/{page}.py":
            return "" if i == 0 else url_path
    return ""


def export_info(ctx: Context) -> exports.ExportInfo:
    """The view as an export describes it: as-of, filters, data date and a link that
    reopens this page with this view (``CAPEX_PUBLIC_URL`` + the query string, the
    page's own parameters such as the chosen company included)."""
    extra = {k: str(v) for k, v in st.query_params.to_dict().items() if k not in VIEW_PARAMS and v}
    link = exports.view_link(public_url(), url_path(ctx.page), extra, ctx.query)
    return exports.ExportInfo(ctx.query, ctx.data_as_of, link)


def cite(ctx: Context) -> None:
    """ "Cite this view": a citation line with the data date and the link, in a code box
    (one click copies it)."""
    # Drawn when opened (a rerun): the code box's highlighter is a large script that
    # every analysis page would otherwise load before its first chart.
    box = st.expander(
        "Cite this view", icon=":material/format_quote:", key="cite", on_change="rerun"
    )
    if box.open:
        with box:
            st.code(exports.citation(export_info(ctx)), language=None, wrap_lines=True)


@st.cache_resource(show_spinner=False, max_entries=64)
def _figure(builder: str, version: tuple, args: tuple) -> go.Figure:
    return getattr(charts, builder)(*args)


def figure(builder: Callable[..., go.Figure], *args: object) -> go.Figure:
    """``builder(*args)`` (a function of :mod:`dashboard.charts`), built once per input:
    a chart of hundreds of companies takes 0.1-0.3 s to build, and every rerun (a page
    revisit, another session on the same view, a click elsewhere) draws it again. The
    inputs are hashed by content (Streamlit samples frames of 50,000 rows or more, so
    the data version is part of the key too): an edit builds a new chart. The figure is
    shared by every session and never changed after it is built."""
    return _figure(builder.__name__, context().version, args)


def chart(ctx: Context, fig, key: str, name: str, data: pd.DataFrame | None = None) -> None:
    """A chart with downloads: the camera button in its toolbar saves the image under a
    meaningful name (what, as-of, data date, filters) in the format chosen beside it
    (PNG or SVG: plotly.js draws both in the browser, so no server-side image
    library such as kaleido is needed), and the data behind it as CSV with the view's
    header block."""
    info = export_info(ctx)
    image = st.session_state.get(f"{key}_format") or "png"
    stem = exports.file_name(name, info, "x").removesuffix(".x")
    options: dict = {"format": image, "filename": stem}
    if image == "png":
        options["scale"] = 2  # sharp on slides
    st.plotly_chart(
        fig,
        key=key,
        config={"displaylogo": False, "toImageButtonOptions": options},
    )
    left, right, _rest = st.columns([2, 2, 5], vertical_alignment="center")
    with left:
        st.segmented_control(
            "Chart image",
            ["png", "svg"],
            default="png",
            format_func=str.upper,
            key=f"{key}_format",
            help="The camera button in the chart's toolbar downloads the chart as this.",
        )
    if data is not None:
        with right:
            st.download_button(
                "Chart data (CSV)",
                # Built when clicked, not on every run of the page.
                data=lambda: exports.to_csv(_rounded(data), info, f"data behind the {name} chart"),
                file_name=exports.file_name(name, info, "csv"),
                mime="text/csv",
                key=f"{key}_csv",
                icon=":material/download:",
                on_click="ignore",
            )


def guidance_data(history: pd.DataFrame, company: str) -> pd.DataFrame:
    """The data behind a guidance-history chart (one row per announcement)."""
    rows = history[history["company"] == company]
    columns = [
        "id",
        "company",
        "series",
        "announced_on",
        "kind",
        "scope",
        "period",
        "amount_low",
        "amount_high",
        "currency",
        "qualifier",
        "months",
        "annual_low_usd",
        "annual_mid_usd",
        "annual_high_usd",
        "source_url",
    ]
    return rows[[c for c in columns if c in rows.columns]]


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    floats = out.select_dtypes("float").columns
    out[floats] = out[floats].round(exports.DECIMALS)
    return out


def footnote(ctx: Context, basis: str) -> str:
    return f"Basis: {basis}. As of {ctx.query.as_of.isoformat()}. FX: {FX_SOURCE}. {SOURCE}."


def download(frame: pd.DataFrame, name: str, label: str = "Download CSV") -> None:
    st.download_button(
        label,
        # Built when clicked, not on every run of the page.
        data=lambda: table_to_csv(frame),
        file_name=name,
        mime="text/csv",
        key=f"download_{name}",
        icon=":material/download:",
        on_click="ignore",  # a download does not rerun the page
    )


def link_column(label: str = "Source") -> st.column_config.LinkColumn:
    return st.column_config.LinkColumn(label, display_text=r"https?://(?:www\.)?([^/]+)")


def show_empty(message: str) -> None:
    st.info(message, icon=":material/info:")


# Column formats of the tables that show USD bn and percentages.
MONEY_FORMAT = "%.2f"
PERCENT_FORMAT = "%.1f %%"
MONEY = st.column_config.NumberColumn(format=MONEY_FORMAT)
PERCENT = st.column_config.NumberColumn(format=PERCENT_FORMAT)


def guided_vs_delivered_table(delivered: pd.DataFrame, key: str) -> None:
    """A company's :func:`tracker.views.guided_vs_delivered` rows, as Company and
    Guidance history show them: USD bn, how far the actual landed in percent, the scope
    by its label and the headers in words."""
    money = {
        "first_guidance": "First guidance",
        "last_guidance": "Last guidance",
        "actual": "Actual",
    }
    percent = {"vs first %": "Actual vs first", "vs last %": "Actual vs last"}
    st.dataframe(
        delivered.assign(scope=views.scope_labels(delivered["scope"])),
        hide_index=True,
        column_config={
            "company": "Company",
            "scope": "Scope",
            "period": "Period",
            **{c: st.column_config.NumberColumn(t, format=MONEY_FORMAT) for c, t in money.items()},
            **{
                c: st.column_config.NumberColumn(t, format=PERCENT_FORMAT)
                for c, t in percent.items()
            },
        },
        key=key,
        placeholder="–",
    )


def announcement_labels(frame: pd.DataFrame) -> dict[int, str]:
    """``#12 Meta guidance 2025 60.0–65.0 USD bn`` per announcement id (the figure as
    announced, :func:`views.amount_texts`), built by column for pickers over thousands
    of rows."""
    ids = frame["id"].astype(int)
    figure = views.amount_texts(frame)
    text = (
        "#"
        + ids.astype(str)
        + " "
        + frame["company"].astype(str)
        + " "
        + frame["kind"].astype(str)
        + " "
        + frame["period"].astype(str)
        + " "
        + figure.astype(str)
    )
    return dict(zip(ids.tolist(), text.tolist(), strict=True))
