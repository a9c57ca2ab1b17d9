//! Experiment files: the committed ones load, and every kind of mistake is reported with the
//! file, the line, the key and (for misspellings) the closest valid name.

use std::path::Path;

use repro::experiment::{ConfigError, Experiment};

const HEADER: &str = "name = \"t\"\nkind = \"tree_search\"\nseeds = [0, 1]\n";

fn load(text: &str) -> Result<Experiment, ConfigError> {
    Experiment::from_str(Path::new("bad.toml"), text)
}

fn error(text: &str) -> ConfigError {
    load(text).expect_err("the file should be rejected")
}

#[test]
fn every_committed_experiment_file_loads() {
    let mut count = 0;
    for entry in std::fs::read_dir("experiments").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let exp = Experiment::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
            assert!(!exp.cells.is_empty(), "{}", path.display());
            assert!(exp.warnings.is_empty(), "{:?}", exp.warnings);
            count += 1;
        }
    }
    assert!(count >= 1);
}

#[test]
fn sweep_expands_to_the_cartesian_product_with_defaults_filled() {
    let exp = load(&format!("{HEADER}[defaults]\neta = 0.5\n[sweep]\nmethod = [\"rft\", \"uft\"]\nheight = {{ from = 2, to = 4 }}\n")).unwrap();
    assert_eq!(exp.cells.len(), 6);
    let first = &exp.cells[0];
    assert_eq!(first.get("method").as_str(), "rft");
    assert_eq!(first.get("height").as_int(), 2);
    assert_eq!(first.get("eta").as_float(), 0.5);
    assert_eq!(first.get("branching").as_int(), 2, "schema default");
}

#[test]
fn cell_ids_depend_on_the_resolved_configuration_only() {
    let a = load(&format!("{HEADER}[sweep]\nheight = [3]\n")).unwrap();
    // Same configuration written differently: explicit default, other seeds, other order.
    let b = load("kind = \"tree_search\"\nseeds = [7]\nname = \"other\"\n[defaults]\nbranching = 2\nheight = 3\n").unwrap();
    assert_eq!(a.cells[0].id, b.cells[0].id);
    let c = load(&format!("{HEADER}[sweep]\nheight = [4]\n")).unwrap();
    assert_ne!(a.cells[0].id, c.cells[0].id);
}

#[test]
fn overrides_apply_to_matching_cells_only() {
    let exp = load(&format!(
        "{HEADER}[sweep]\nmethod = [\"rft\", \"sft\"]\n[[override]]\nwhen = {{ method = \"sft\" }}\nmax_iterations = 77\n"
    ))
    .unwrap();
    assert_eq!(exp.cells[0].get("max_iterations").as_int(), 1_000_000);
    assert_eq!(exp.cells[1].get("max_iterations").as_int(), 77);
}

#[test]
fn an_override_that_matches_no_cell_is_warned_about() {
    let exp = load(&format!(
        "{HEADER}[sweep]\nmethod = [\"rft\", \"sft\"]\n[[override]]\nwhen = {{ method = \"uft\" }}\nmax_iterations = 77\n"
    ))
    .unwrap();
    assert_eq!(
        exp.warnings,
        [
            "bad.toml:8: override[0] (when method = \"uft\") matches no cell, so its settings are unused"
        ]
    );
    let used = load(&format!(
        "{HEADER}[sweep]\nmethod = [\"rft\", \"sft\"]\n[[override]]\nwhen = {{ method = \"sft\" }}\nmax_iterations = 77\n"
    ))
    .unwrap();
    assert!(used.warnings.is_empty(), "{:?}", used.warnings);
}

#[test]
fn method_options_reach_only_their_method() {
    let exp = load(&format!(
        "{HEADER}[sweep]\nmethod = [\"rft\", \"uft_cosine\"]\n[method_options.uft_cosine]\nt_hint = 50\n"
    ))
    .unwrap();
    assert!(exp.cells[0].options.is_empty());
    assert_eq!(exp.cells[1].option("t_hint").as_int(), 50);
    assert_eq!(
        exp.cells[1].option("p_high").as_float(),
        0.95,
        "default filled in"
    );
}

#[test]
fn misspelled_top_level_key_is_named_with_line_and_suggestion() {
    let e = error(&format!("{HEADER}\ndefualts = 3\n"));
    assert_eq!(e.line, Some(5));
    assert!(e.to_string().contains("unknown key `defualts`"), "{e}");
    assert!(
        e.hint
            .as_deref()
            .unwrap()
            .contains("did you mean `defaults`"),
        "{e}"
    );
    assert!(e.to_string().starts_with("bad.toml:5:"), "{e}");
}

#[test]
fn a_misspelled_parameter_in_a_profile_is_named_by_its_profile() {
    let e = error(&format!(
        "{HEADER}[defaults]\nheight = 2\n[profile.small]\n[profile.small.defaults]\nhieght = 3\n"
    ));
    assert_eq!(e.key, "profile.small.defaults.hieght", "{e}");
    assert_eq!(e.line, Some(8));
}

#[test]
fn misspelled_parameter_in_defaults_suggests_the_closest() {
    let e = error(&format!("{HEADER}[defaults]\nheigth = 3\n"));
    assert_eq!(e.line, Some(5));
    assert_eq!(e.key, "defaults.heigth");
    assert!(
        e.hint.as_deref().unwrap().contains("did you mean `height`"),
        "{e}"
    );
}

#[test]
fn misspelled_parameter_in_a_sweep_and_in_an_override() {
    let e = error(&format!("{HEADER}[[sweep]]\nbranchng = [2]\n"));
    assert!(e.hint.as_deref().unwrap().contains("`branching`"), "{e}");
    assert_eq!(e.line, Some(5));
    let e = error(&format!(
        "{HEADER}[[override]]\nwhen = {{ metod = \"rft\" }}\neta = 1.0\n"
    ));
    assert!(e.hint.as_deref().unwrap().contains("`method`"), "{e}");
    let e = error(&format!(
        "{HEADER}[[override]]\nwhen = {{ method = \"rft\" }}\netta = 1.0\n"
    ));
    assert!(e.hint.as_deref().unwrap().contains("`eta`"), "{e}");
}

/// Per-method option tables are where serde's `deny_unknown_fields` would not reach
/// (internally tagged enums); the reader checks them like everything else.
#[test]
fn unknown_keys_inside_method_options_are_rejected() {
    let e = error(&format!(
        "{HEADER}[method_options.uft_cosine]\nt_hnt = 10\n"
    ));
    assert_eq!(e.line, Some(5));
    assert_eq!(e.key, "method_options.uft_cosine.t_hnt");
    assert!(e.hint.as_deref().unwrap().contains("`t_hint`"), "{e}");
    // An option of another method is not valid here either.
    let e = error(&format!("{HEADER}[method_options.r3]\nt_hint = 10\n"));
    assert!(e.to_string().contains("unknown parameter `t_hint`"), "{e}");
    // An unknown method name.
    let e = error(&format!(
        "{HEADER}[method_options.uft_cosin]\nt_hint = 10\n"
    ));
    assert!(e.hint.as_deref().unwrap().contains("`uft_cosine`"), "{e}");
}

#[test]
fn wrong_types_are_reported_with_expected_and_found() {
    let e = error(&format!("{HEADER}[defaults]\nheight = \"ten\"\n"));
    assert!(
        e.message.contains("expected integer") && e.message.contains("found a string"),
        "{e}"
    );
    let e = error(&format!("{HEADER}[defaults]\nmax_iterations = 1.5\n"));
    assert!(e.message.contains("found a float"), "{e}");
    let e = error(&format!("{HEADER}[defaults]\nheight = [1, 2]\n"));
    assert!(e.message.contains("expected a single value"), "{e}");
    let e = error("name = \"t\"\nkind = \"tree_search\"\nseeds = 3\n");
    assert_eq!(e.key, "seeds");
}

#[test]
fn out_of_range_values_are_rejected() {
    let e = error(&format!("{HEADER}[defaults]\nmax_iterations = -5\n"));
    assert!(e.message.contains("out of range"), "{e}");
    assert_eq!(e.line, Some(5));
    let e = error(&format!(
        "{HEADER}[method_options.uft_cosine]\np_high = 1.5\n"
    ));
    assert!(e.message.contains("out of range"), "{e}");
    let e = error(&format!("{HEADER}[defaults]\nbeta = 1e308\n"));
    assert!(e.message.starts_with("1e308 is out of range"), "{e}");
    let e = error("name = \"t\"\nkind = \"tree_search\"\nseeds = [-1]\n");
    assert!(e.message.contains("not a non-negative integer"), "{e}");
}

#[test]
fn empty_and_duplicated_sweeps_are_rejected() {
    let e = error(&format!("{HEADER}[sweep]\nheight = []\n"));
    assert!(e.message.contains("empty sweep axis"), "{e}");
    let e = error(&format!("{HEADER}[sweep]\nheight = [2, 2]\n"));
    assert!(e.message.contains("listed twice"), "{e}");
    let e = error("name = \"t\"\nkind = \"tree_search\"\nseeds = []\n");
    assert!(e.message.contains("at least one seed"), "{e}");
    let e = error(&format!(
        "{HEADER}[[sweep]]\nheight = [2]\n[[sweep]]\nheight = [2, 3]\n"
    ));
    assert!(e.message.contains("same configuration"), "{e}");
}

#[test]
fn choices_name_the_closest_valid_value() {
    let e = error(&format!("{HEADER}[sweep]\nmethod = [\"rft\", \"utf\"]\n"));
    assert!(e.message.contains("did you mean \"uft\""), "{e}");
    let e = error("name = \"t\"\nkind = \"tree_serch\"\nseeds = [0]\n");
    assert!(e.hint.as_deref().unwrap().contains("`tree_search`"), "{e}");
}

#[test]
fn missing_required_keys_and_invalid_toml() {
    let e = error("kind = \"tree_search\"\nseeds = [0]\n");
    assert_eq!(e.key, "name");
    assert!(e.message.contains("missing"), "{e}");
    let e = error("name = \"t\"\nkind = \"tree_search\"\nseeds = [0\n");
    assert!(e.message.contains("not valid TOML"), "{e}");
    assert!(e.line.is_some());
    let e = error("name = \"has space\"\nkind = \"tree_search\"\nseeds = [0]\n");
    assert_eq!(e.key, "name");
    let e = error(&format!("{HEADER}\n[defaults]\nheight = 2\nheight = 3\n"));
    assert!(e.message.contains("duplicate key `height`"), "{e}");
}

#[test]
fn checks_across_parameters_name_the_cell() {
    let e = error(&format!(
        "{HEADER}[sweep]\nheight = [2]\ncorrect_leaves = [5]\n"
    ));
    assert_eq!(e.key, "correct_leaves");
    assert!(
        e.message.contains("exceeds the 4 leaves") && e.message.contains("height=2"),
        "{e}"
    );
    assert_eq!(e.line, Some(6));
    let e = error(&format!(
        "{HEADER}[defaults]\ntarget_pass1 = 0.9\nstop_pass1 = 0.5\n"
    ));
    assert_eq!(e.key, "stop_pass1");
}

#[test]
fn generated_countdown_ranges_must_admit_a_solution_for_every_target() {
    let header = "name = \"t\"\nkind = \"fine_tune\"\nseeds = [0]\n";
    let e = error(&format!(
        "{header}[defaults]\ncountdown_min_numbers = 3\ncountdown_max_numbers = 3\n\
         countdown_max_value = 9\ncountdown_max_target = 40\n"
    ));
    assert_eq!(e.key, "countdown_max_target");
    assert!(e.message.contains("at most 27"), "{e}");
    let e = error(&format!(
        "{header}[defaults]\ncountdown_min_numbers = 4\ncountdown_max_numbers = 3\n"
    ));
    assert_eq!(e.key, "countdown_min_numbers");
    load(&format!(
        "{header}[defaults]\ncountdown_min_numbers = 3\ncountdown_max_numbers = 3\n\
         countdown_max_value = 9\ncountdown_max_target = 27\n"
    ))
    .expect("single-digit numbers and targets up to 27 are accepted");
}
