"""Recipes: YAML files loaded into typed, validated config objects.

schema: the dataclasses, their bounds and docs (``describe``); load: safe YAML, overrides, shipped
recipes by name; checks: rules across fields, every arm rule among them; same: when two recipes are
the same recipe. Import from here: ``from textmad.recipe import load_recipe, Recipe``.
"""
from textmad.recipe.checks import (UNSWEPT, add_sweep_arms, arm_shares, check_folder_name,
                                   parse_share, scratch_parameters, threshold_metric, validate, validate_sweep)
from textmad.recipe.load import (SHIPPED_RECIPES, RecipeLoader, apply_overrides, load_recipe, load_yaml,
                                 read_recipe_mapping, recipe_path)
from textmad.recipe.same import LOCATION_KEYS, SEED_KEYS, SWEEP_KEYS, flatten, recipe_differences
from textmad.recipe.schema import (
    MAX_BATCH, MAX_CONTEXT, MAX_DOCS, MAX_NAME_BYTES, MAX_SCRATCH_BYTES, MAX_SEED, MAX_YAML_NODES,
    ArmConfig, CorpusConfig, DiversityConfig, EvaluateConfig, GenerateConfig, GGUFConfig, LoopConfig, LoRAConfig,
    ModelConfig, PerplexityConfig, Recipe, RecipeError, ScratchConfig, SourceConfig, SweepConfig, SweptKey,
    TailConfig, TrainConfig, WatermarkConfig, arm_name, describe, dump_yaml, show, sweep_arm, to_dict)

__all__ = [
    "UNSWEPT", "add_sweep_arms", "arm_shares", "check_folder_name", "parse_share",
    "scratch_parameters", "threshold_metric", "validate", "validate_sweep",
    "SHIPPED_RECIPES", "RecipeLoader", "apply_overrides", "load_recipe", "load_yaml", "read_recipe_mapping",
    "recipe_path",
    "LOCATION_KEYS", "SEED_KEYS", "SWEEP_KEYS", "flatten", "recipe_differences",
    "MAX_BATCH", "MAX_CONTEXT", "MAX_DOCS", "MAX_NAME_BYTES", "MAX_SCRATCH_BYTES", "MAX_SEED", "MAX_YAML_NODES",
    "ArmConfig", "CorpusConfig", "DiversityConfig", "EvaluateConfig", "GenerateConfig",
    "GGUFConfig", "LoopConfig", "LoRAConfig", "ModelConfig", "PerplexityConfig", "Recipe", "RecipeError",
    "ScratchConfig", "SourceConfig", "SweepConfig", "SweptKey", "TailConfig", "TrainConfig", "WatermarkConfig",
    "arm_name", "describe", "dump_yaml", "show", "sweep_arm", "to_dict"]
