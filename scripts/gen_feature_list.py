#!/usr/bin/env python3
"""Generate include/rdx/feature_list.h, the feature table, from the IBSI reference
tags (datasets/ibsi_reference/digital_phantom.csv, every family and aggregation),
the processing diagnostics, and the PyRadiomics equivalents below.
Run from the repository root: python3 scripts/gen_feature_list.py"""
import csv

FAMILY = {'diagnostic': 'DIAG', 'morphology': 'MORPH', 'local intensity': 'LOC',
          'intensity-based statistics': 'STAT', 'intensity histogram': 'IH',
          'intensity-volume histogram': 'IVH', 'GLCM': 'GLCM', 'GLRLM': 'GLRLM', 'GLSZM': 'GLSZM',
          'GLDZM': 'GLDZM', 'NGTDM': 'NGTDM', 'NGLDM': 'NGLDM'}

# IBSI tag (without aggregation suffix) -> PyRadiomics feature. PyRadiomics averages
# texture features over directions in 3D: its values correspond to the *_3D_avg
# (GLCM, GLRLM) and *_3D (others) variants; it is listed on those rows only.
PYRADIOMICS = {
    'stat_mean': 'firstorder_Mean', 'stat_var': 'firstorder_Variance', 'stat_skew': 'firstorder_Skewness',
    'stat_kurt': 'firstorder_Kurtosis (not excess: minus 3)', 'stat_median': 'firstorder_Median',
    'stat_min': 'firstorder_Minimum', 'stat_p10': 'firstorder_10Percentile',
    'stat_p90': 'firstorder_90Percentile', 'stat_max': 'firstorder_Maximum',
    'stat_iqr': 'firstorder_InterquartileRange', 'stat_range': 'firstorder_Range',
    'stat_mad': 'firstorder_MeanAbsoluteDeviation', 'stat_rmad': 'firstorder_RobustMeanAbsoluteDeviation',
    'stat_energy': 'firstorder_Energy', 'stat_rms': 'firstorder_RootMeanSquared',
    'ih_entropy': 'firstorder_Entropy', 'ih_uniformity': 'firstorder_Uniformity',
    'morph_volume': 'shape_MeshVolume', 'morph_vol_approx': 'shape_VoxelVolume',
    'morph_area_mesh': 'shape_SurfaceArea', 'morph_av': 'shape_SurfaceVolumeRatio',
    'morph_sphericity': 'shape_Sphericity', 'morph_diam': 'shape_Maximum3DDiameter',
    'morph_pca_maj_axis': 'shape_MajorAxisLength', 'morph_pca_min_axis': 'shape_MinorAxisLength',
    'morph_pca_least_axis': 'shape_LeastAxisLength', 'morph_pca_elongation': 'shape_Elongation',
    'morph_pca_flatness': 'shape_Flatness',
    'cm_joint_max': 'glcm_MaximumProbability', 'cm_joint_avg': 'glcm_JointAverage',
    'cm_joint_var': 'glcm_SumSquares', 'cm_joint_entr': 'glcm_JointEntropy',
    'cm_diff_avg': 'glcm_DifferenceAverage', 'cm_diff_var': 'glcm_DifferenceVariance',
    'cm_diff_entr': 'glcm_DifferenceEntropy', 'cm_sum_avg': 'glcm_SumAverage',
    'cm_sum_entr': 'glcm_SumEntropy', 'cm_energy': 'glcm_JointEnergy', 'cm_contrast': 'glcm_Contrast',
    'cm_inv_diff': 'glcm_Id', 'cm_inv_diff_norm': 'glcm_Idn', 'cm_inv_diff_mom': 'glcm_Idm',
    'cm_inv_diff_mom_norm': 'glcm_Idmn', 'cm_inv_var': 'glcm_InverseVariance',
    'cm_corr': 'glcm_Correlation', 'cm_auto_corr': 'glcm_Autocorrelation',
    'cm_clust_tend': 'glcm_ClusterTendency', 'cm_clust_shade': 'glcm_ClusterShade',
    'cm_clust_prom': 'glcm_ClusterProminence', 'cm_info_corr1': 'glcm_Imc1', 'cm_info_corr2': 'glcm_Imc2',
    'rlm_sre': 'glrlm_ShortRunEmphasis', 'rlm_lre': 'glrlm_LongRunEmphasis',
    'rlm_lgre': 'glrlm_LowGrayLevelRunEmphasis', 'rlm_hgre': 'glrlm_HighGrayLevelRunEmphasis',
    'rlm_srlge': 'glrlm_ShortRunLowGrayLevelEmphasis', 'rlm_srhge': 'glrlm_ShortRunHighGrayLevelEmphasis',
    'rlm_lrlge': 'glrlm_LongRunLowGrayLevelEmphasis', 'rlm_lrhge': 'glrlm_LongRunHighGrayLevelEmphasis',
    'rlm_glnu': 'glrlm_GrayLevelNonUniformity', 'rlm_glnu_norm': 'glrlm_GrayLevelNonUniformityNormalized',
    'rlm_rlnu': 'glrlm_RunLengthNonUniformity', 'rlm_rlnu_norm': 'glrlm_RunLengthNonUniformityNormalized',
    'rlm_r_perc': 'glrlm_RunPercentage', 'rlm_gl_var': 'glrlm_GrayLevelVariance',
    'rlm_rl_var': 'glrlm_RunVariance', 'rlm_rl_entr': 'glrlm_RunEntropy',
    'szm_sze': 'glszm_SmallAreaEmphasis', 'szm_lze': 'glszm_LargeAreaEmphasis',
    'szm_lgze': 'glszm_LowGrayLevelZoneEmphasis', 'szm_hgze': 'glszm_HighGrayLevelZoneEmphasis',
    'szm_szlge': 'glszm_SmallAreaLowGrayLevelEmphasis', 'szm_szhge': 'glszm_SmallAreaHighGrayLevelEmphasis',
    'szm_lzlge': 'glszm_LargeAreaLowGrayLevelEmphasis', 'szm_lzhge': 'glszm_LargeAreaHighGrayLevelEmphasis',
    'szm_glnu': 'glszm_GrayLevelNonUniformity', 'szm_glnu_norm': 'glszm_GrayLevelNonUniformityNormalized',
    'szm_zsnu': 'glszm_SizeZoneNonUniformity', 'szm_zsnu_norm': 'glszm_SizeZoneNonUniformityNormalized',
    'szm_z_perc': 'glszm_ZonePercentage', 'szm_gl_var': 'glszm_GrayLevelVariance',
    'szm_zs_var': 'glszm_ZoneVariance', 'szm_zs_entr': 'glszm_ZoneEntropy',
    'ngt_coarseness': 'ngtdm_Coarseness', 'ngt_contrast': 'ngtdm_Contrast', 'ngt_busyness': 'ngtdm_Busyness',
    'ngt_complexity': 'ngtdm_Complexity', 'ngt_strength': 'ngtdm_Strength',
    'ngl_lde': 'gldm_SmallDependenceEmphasis', 'ngl_hde': 'gldm_LargeDependenceEmphasis',
    'ngl_lgce': 'gldm_LowGrayLevelEmphasis', 'ngl_hgce': 'gldm_HighGrayLevelEmphasis',
    'ngl_ldlge': 'gldm_SmallDependenceLowGrayLevelEmphasis',
    'ngl_ldhge': 'gldm_SmallDependenceHighGrayLevelEmphasis',
    'ngl_hdlge': 'gldm_LargeDependenceLowGrayLevelEmphasis',
    'ngl_hdhge': 'gldm_LargeDependenceHighGrayLevelEmphasis', 'ngl_glnu': 'gldm_GrayLevelNonUniformity',
    'ngl_dcnu': 'gldm_DependenceNonUniformity', 'ngl_dcnu_norm': 'gldm_DependenceNonUniformityNormalized',
    'ngl_gl_var': 'gldm_GrayLevelVariance', 'ngl_dc_var': 'gldm_DependenceVariance',
    'ngl_dc_entr': 'gldm_DependenceEntropy',
}

SUFFIX_AGG = [('_2_5D_avg', '2_5D'), ('_2_5D_comb', '2_5D'), ('_2D_avg', '2D'), ('_2D_comb', '2D'),
              ('_3D_avg', '3D'), ('_3D_comb', '3D'), ('_2_5D', '2_5D'), ('_2D', '2D'), ('_3D', '3D')]


def aggregation(tag):
    for suffix, agg in SUFFIX_AGG:
        if tag.endswith(suffix):
            return tag[:-len(suffix)], suffix, agg
    return tag, '', 'NONE'


def diagnostics():
    for stage in ('init_img', 'interp_img'):
        for t in ('img_dim_x', 'img_dim_y', 'img_dim_z', 'vox_dim_x', 'vox_dim_y', 'vox_dim_z', 'mean_int',
                  'min_int', 'max_int'):
            yield f'{t}_{stage}'
    for stage in ('init_roi', 'interp_roi', 'reseg_roi'):
        for t in ('int_mask_dim_x', 'int_mask_dim_y', 'int_mask_dim_z', 'int_mask_bb_dim_x',
                  'int_mask_bb_dim_y', 'int_mask_bb_dim_z', 'morph_mask_bb_dim_x', 'morph_mask_bb_dim_y',
                  'morph_mask_bb_dim_z', 'int_mask_vox_count', 'morph_mask_vox_count', 'int_mask_mean_int',
                  'int_mask_min_int', 'int_mask_max_int'):
            yield f'{t}_{stage}'


# The 13 directions of host/directions.h (rdx_dir), in order: the values of
# GLCM and GLRLM per 3D direction are tagged <feature>_3D_dir01 .. _3D_dir13.
N_DIR_3D = 13


def per_direction(rows):
    """After the rows of GLCM and of GLRLM, the per-direction rows of their
    3D-averaged features (aggregation 3D_DIR), feature by feature, 13 each."""
    out = []
    for i, row in enumerate(rows):
        out.append(row)
        fam = row[2]
        if fam in ('GLCM', 'GLRLM') and (i + 1 == len(rows) or rows[i + 1][2] != fam):
            bases = [r for r in rows if r[2] == fam and r[0].endswith('_3D_avg')]
            for tag, code, _, _, _ in bases:
                for d in range(1, N_DIR_3D + 1):
                    out.append((f'{tag[:-len("_avg")]}_dir{d:02d}', code, fam, '3D_DIR', '-'))
    return out


def main():
    rows = [(t, '-', 'DIAG', 'NONE', '-') for t in diagnostics()]
    for r in csv.DictReader(open('datasets/ibsi_reference/digital_phantom.csv')):
        base, suffix, agg = aggregation(r['tag'])
        py = PYRADIOMICS.get(base, '-') if suffix in ('', '_3D_avg', '_3D') else '-'
        rows.append((r['tag'], r['ibsi_id'], FAMILY[r['family']], agg, py))
    rows = per_direction(rows)
    with open('include/rdx/feature_list.h', 'w') as out:
        out.write('/* The feature table, generated by scripts/gen_feature_list.py: do not edit.\n'
                  ' * One line per feature, in output order:\n'
                  ' *   RDX_FEATURE(ENUM, tag, IBSI code, family, aggregation, PyRadiomics name)\n'
                  ' * tag is the IBSI reference tag; aggregation is the texture aggregation the\n'
                  ' * value belongs to (NONE, 2D, 2_5D, 3D, 3D_DIR: one of the 13 directions\n'
                  ' * of host/directions.h); "-" means no IBSI code (diagnostics)\n'
                  ' * or no PyRadiomics equivalent. Include with RDX_FEATURE defined. */\n')
        for tag, code, fam, agg, py in rows:
            out.write(f'RDX_FEATURE({tag.upper()}, "{tag}", "{code}", {fam}, {agg}, "{py}")\n')
        out.write('#undef RDX_FEATURE\n')


if __name__ == '__main__':
    main()
