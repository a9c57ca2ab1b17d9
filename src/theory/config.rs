//! Parameters of the `tree_search` experiment kind (the paper's §4 toy problem).

use crate::experiment::Cell;
use crate::experiment::schema::{Default, Kind, Param, Schema};

use super::method::Method;

const PARAMS: &[Param] = &[
    Param {
        name: "method",
        kind: Kind::Choice(Method::NAMES),
        default: Default::Str("uft"),
        doc: "rft (l ≡ 0), uft (Algorithm 2: l ~ Uniform{0..H} + hint log-likelihood), uft_cosine \
              (Algorithm 1's cosine/Binomial schedule), r3 (uniform over segment boundaries, no \
              log-likelihood), sft (log-likelihood on π*'s path only, no reward queries)",
    },
    Param {
        name: "height",
        kind: Kind::Int { min: 1, max: 40 },
        default: Default::Int(6),
        doc: "tree height H (reasoning horizon)",
    },
    Param {
        name: "branching",
        kind: Kind::Int { min: 2, max: 16 },
        default: Default::Int(2),
        doc: "branching factor B",
    },
    Param {
        name: "correct_leaves",
        kind: Kind::Int {
            min: 1,
            max: 1_000_000,
        },
        default: Default::Int(1),
        doc: "K, the number of leaves with reward 1 (drawn uniformly per seed); π* leads to the first",
    },
    Param {
        name: "gap",
        kind: Kind::Float {
            min: 1e-6,
            max: 1.0,
        },
        default: Default::Float(0.9),
        doc: "sub-optimality gap Δ: wrong leaves give 1 − Δ (0.9 ↔ the paper's 0.1 format reward)",
    },
    Param {
        name: "eta",
        kind: Kind::Float {
            min: 1e-9,
            max: 1e3,
        },
        default: Default::Float(1.0),
        doc: "step size η of the mirror-descent update",
    },
    Param {
        name: "beta",
        kind: Kind::Float { min: 0.0, max: 1e3 },
        default: Default::Float(0.001),
        doc: "β: weight of the KL to π_ref and of the hint log-likelihood (Table 1: 0.001)",
    },
    Param {
        name: "reference_noise",
        kind: Kind::Float {
            min: 0.0,
            max: 10.0,
        },
        default: Default::Float(0.0),
        doc: "θ_ref(s, a) ~ N(0, σ²) per state and action (0 = uniform reference policy)",
    },
    Param {
        name: "target_pass1",
        kind: Kind::Float {
            min: 1e-6,
            max: 1.0,
        },
        default: Default::Float(0.5),
        doc: "pass@1 that defines the sample complexity (the theorems use 0.5)",
    },
    Param {
        name: "stop_pass1",
        kind: Kind::Float {
            min: 1e-6,
            max: 1.0,
        },
        default: Default::Float(0.9),
        doc: "stop a run once its exact pass@1 reaches this (1.0: run to the budget)",
    },
    Param {
        name: "max_explorations",
        kind: Kind::Int {
            min: 1,
            max: 1_000_000_000_000,
        },
        default: Default::Int(1_000_000),
        doc: "budget of reward queries (leaf explorations); runs that miss the target are censored here",
    },
    Param {
        name: "max_iterations",
        kind: Kind::Int {
            min: 1,
            max: 1_000_000_000,
        },
        default: Default::Int(1_000_000),
        doc: "budget of iterations t",
    },
    Param {
        name: "counting",
        kind: Kind::Choice(&["group", "specification"]),
        default: Default::Str("group"),
        doc: "what the sample complexity counts: group (the B·(H − l) group rollouts of step 3, \
              pass@1 first checked after iteration 1) or specification (§4.4: also the main \
              trajectory's leaf, and pass@1 checked at t = 0 too, so a policy already at the \
              target costs 0)",
    },
    Param {
        name: "log_points_per_decade",
        kind: Kind::Int { min: 1, max: 1000 },
        default: Default::Int(20),
        doc: "metric rows are written at log-spaced iterations, this many per factor of 10",
    },
];

const SEGMENT_OPTION: Param = Param {
    name: "max_segments",
    kind: Kind::Int { min: 1, max: 40 },
    default: Default::Int(5),
    doc: "the solution (H actions) is cut into min(max_segments, H) hint segments, as the code does",
};

const UFT_COSINE_OPTIONS: &[Param] = &[
    Param {
        name: "p_high",
        kind: Kind::Float { min: 0.0, max: 1.0 },
        default: Default::Float(0.95),
        doc: "p at t = 1",
    },
    Param {
        name: "p_low",
        kind: Kind::Float { min: 0.0, max: 1.0 },
        default: Default::Float(0.05),
        doc: "p at t = T_hint",
    },
    Param {
        name: "t_hint",
        kind: Kind::Int {
            min: 1,
            max: 1_000_000_000,
        },
        default: Default::Int(300),
        doc: "T_hint: iterations with hints; none after (Table 1: 300 of T = 500)",
    },
    SEGMENT_OPTION,
];

pub const SCHEMA: Schema = Schema {
    params: PARAMS,
    method_param: "method",
    method_options: &[
        ("uft_cosine", UFT_COSINE_OPTIONS),
        ("r3", &[SEGMENT_OPTION]),
    ],
};

/// The typed parameters of one `tree_search` cell.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeConfig {
    pub method: Method,
    pub height: usize,
    pub branching: usize,
    pub correct_leaves: usize,
    pub gap: f64,
    pub eta: f64,
    pub beta: f64,
    pub reference_noise: f64,
    pub target_pass1: f64,
    pub stop_pass1: f64,
    pub max_explorations: u64,
    pub max_iterations: u64,
    pub counting: Counting,
    pub log_points_per_decade: u32,
}

/// What a run's sample complexity counts (`counting`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counting {
    /// The B·(H − l) group rollouts of step 3 only; pass@1 is first tested after iteration 1.
    Group,
    /// The specification's count (§4.4): group rollouts plus the main trajectory's leaf (when
    /// l < H), and pass@1 tested at every t ∈ {0..T}, t = 0 included.
    Specification,
}

impl TreeConfig {
    /// The schema's defaults for `height` × `branching` (for tests and benchmarks); `method`
    /// carries its own options.
    pub fn with_defaults(method: Method, height: usize, branching: usize) -> TreeConfig {
        let cell = Cell {
            index: 0,
            id: String::new(),
            axes: Vec::new(),
            params: SCHEMA
                .params
                .iter()
                .map(|p| (p.name, p.default.value()))
                .collect(),
            options: SCHEMA
                .options_of(method.name())
                .iter()
                .map(|p| (p.name, p.default.value()))
                .collect(),
        };
        TreeConfig {
            method,
            height,
            branching,
            ..TreeConfig::from_cell(&cell)
        }
    }

    pub fn from_cell(cell: &Cell) -> TreeConfig {
        let int = |name| cell.get(name).as_int();
        let float = |name| cell.get(name).as_float();
        let segments = |cell: &Cell| cell.option("max_segments").as_int() as usize;
        let method = match cell.get("method").as_str() {
            "rft" => Method::Rft,
            "uft" => Method::Uft,
            "uft_cosine" => Method::UftCosine {
                p_high: cell.option("p_high").as_float(),
                p_low: cell.option("p_low").as_float(),
                t_hint: cell.option("t_hint").as_int() as u64,
                max_segments: segments(cell),
            },
            "r3" => Method::R3 {
                max_segments: segments(cell),
            },
            "sft" => Method::Sft,
            other => unreachable!("schema admits only known methods, got {other}"),
        };
        TreeConfig {
            method,
            height: int("height") as usize,
            branching: int("branching") as usize,
            correct_leaves: int("correct_leaves") as usize,
            gap: float("gap"),
            eta: float("eta"),
            beta: float("beta"),
            reference_noise: float("reference_noise"),
            target_pass1: float("target_pass1"),
            stop_pass1: float("stop_pass1"),
            max_explorations: int("max_explorations") as u64,
            max_iterations: int("max_iterations") as u64,
            counting: match cell.get("counting").as_str() {
                "specification" => Counting::Specification,
                _ => Counting::Group,
            },
            log_points_per_decade: int("log_points_per_decade") as u32,
        }
    }
}

/// Checks that involve several parameters of one cell.
pub fn check_cell(cell: &Cell) -> Result<(), (&'static str, String)> {
    let cfg = TreeConfig::from_cell(cell);
    let leaf_bits = cfg.height as f64 * (cfg.branching as f64).log2();
    if leaf_bits > 60.0 {
        return Err((
            "height",
            format!(
                "B^H = {}^{} leaves does not fit the 64-bit node index",
                cfg.branching, cfg.height
            ),
        ));
    }
    let leaves = (cfg.branching as u64).pow(cfg.height as u32);
    if cfg.correct_leaves as u64 > leaves {
        return Err((
            "correct_leaves",
            format!(
                "K = {} exceeds the {leaves} leaves of the tree",
                cfg.correct_leaves
            ),
        ));
    }
    if cfg.stop_pass1 < cfg.target_pass1 {
        return Err((
            "stop_pass1",
            format!(
                "{} stops runs before they reach target_pass1 = {}",
                cfg.stop_pass1, cfg.target_pass1
            ),
        ));
    }
    if let Method::UftCosine { p_high, p_low, .. } = cfg.method
        && p_low > p_high
    {
        return Err((
            "method",
            format!("method_options.uft_cosine: p_low = {p_low} exceeds p_high = {p_high}"),
        ));
    }
    Ok(())
}
