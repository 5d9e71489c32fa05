import type { Rng } from './random.ts';

/** Word lists for synthetic Chinese names. Every person is a random combination: no real identity. */

// Roughly in order of frequency in Henan; weights fall off with rank.
const SURNAMES = [...'王李张刘陈杨赵郭孙马黄周吴徐胡朱高何宋郑韩冯于董程曹袁邓许傅沈彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭邹金陆郝孔白崔康毛秦江史顾侯邵孟段雷钱汤尹常武乔贺龚牛付耿翟申闫庞'];
const SURNAME_WEIGHTS = SURNAMES.map((_, i) => 1 / (i + 3) ** 0.9);

const GIVEN: Record<'M' | 'F', Record<'old' | 'mid' | 'young', string[]>> = {
  M: {
    old: ['建国', '建军', '国庆', '卫东', '振华', '德福', '长顺', '保国', '玉民', '金山', '福来', '铁柱', '满仓', '新民', '志明', '广田', '春生', '秋林', '永安', '德胜', '富贵', '文章', '树林', '运来'],
    mid: ['伟', '勇', '军', '强', '磊', '涛', '斌', '刚', '明', '辉', '鹏', '华', '峰', '亮', '东', '波', '超', '杰', '永刚', '海涛', '建伟', '晓东', '志强', '红旗', '国伟', '俊峰', '卫国', '向阳', '立新', '保林'],
    young: ['浩', '宇', '轩', '凯', '鑫', '帅', '博', '晨', '阳', '旭', '子豪', '浩然', '梓轩', '宇航', '一鸣', '俊杰', '皓轩', '子墨', '家乐', '天佑', '铭泽', '思远', '嘉豪', '博文', '锦程', '奕辰', '睿', '航'],
  },
  F: {
    old: ['桂兰', '秀英', '玉兰', '凤英', '秀兰', '桂英', '玉珍', '淑珍', '翠花', '素芳', '春梅', '爱华', '桂芝', '玉梅', '兰英', '秀珍', '金花', '凤兰', '月娥', '巧云'],
    mid: ['芳', '娜', '敏', '静', '丽', '艳', '娟', '霞', '燕', '玲', '萍', '红', '梅', '莉', '慧', '丽娟', '海燕', '晓燕', '红霞', '春燕', '丽华', '美玲', '彩霞', '瑞芳', '亚楠', '晓丽'],
    young: ['婷', '雪', '颖', '倩', '洁', '佳', '欣', '怡', '悦', '琪', '萱', '子涵', '欣怡', '梓涵', '雨萱', '一诺', '诗琪', '可馨', '梦瑶', '思雨', '佳怡', '若曦', '语桐', '紫萱', '安然', '心怡'],
  },
};

export function surname(rng: Rng): string {
  return SURNAMES[rng.weightedIndex(SURNAME_WEIGHTS)]!;
}

export function givenName(rng: Rng, gender: 'M' | 'F', birthYear: number): string {
  const era = birthYear < 1962 ? 'old' : birthYear < 1995 ? 'mid' : 'young';
  return rng.pick(GIVEN[gender][era]);
}

export function personName(rng: Rng, gender: 'M' | 'F', birthYear: number, family?: string): string {
  return (family ?? surname(rng)) + givenName(rng, gender, birthYear);
}

export const URBAN_COMMUNITY_NAMES = ['东风', '建设', '朝阳', '湖滨', '龙泉', '光明', '钢城', '新华', '文化', '和平'];
export const VILLAGE_NAMES = ['王庄', '李湾', '张沟', '杨庄', '石门郭', '马庄', '尹集', '刘楼', '后营', '庙街', '杨岗', '余庄', '大刘庄', '冯庄'];
export const HAMLET_NAMES = ['后洼', '小李庄', '东岗', '西坡', '前营', '南沟', '北岭', '柿园', '枣林', '河湾', '新庄', '老庄', '上沟', '下湾', '桐树岗', '竹园'];

export const MAIN_ROADS_NS = ['人民路', '建设路', '朝阳路', '解放路', '钢城路', '院岭路', '光明路', '五一路', '胜利路'];
export const MAIN_ROADS_EW = ['湖滨大道', '新华路', '团结路', '文化路', '和平路', '龙山路', '迎宾大道', '寺坡路', '振兴路'];
export const LANES_NS = ['育才街', '兴业街', '幸福街', '友谊街', '康宁街', '丰收街', '安居街', '民主街', '红旗街', '工农街', '银河街', '平安街', '长青街', '富民街', '东升街', '建新街', '健康街', '向阳街'];
export const LANES_EW = ['梧桐巷', '槐树巷', '柳荫巷', '桂花巷', '石榴巷', '杏花巷', '枣园巷', '竹园巷', '樱桃巷', '桃园巷', '松柏巷', '荷花巷', '丁香巷', '海棠巷', '银杏巷', '紫荆巷', '玉兰巷', '芙蓉巷'];
export const CHINESE_ORDINALS = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十', '十一', '十二'];

const BRAND_CHARS = [...'鑫源华盛福顺兴隆佳家乐康德美新恒金百汇旺宏泰惠民诚信嘉祥和润'];

export function brand(rng: Rng): string {
  if (rng.chance(0.2)) return `老${surname(rng)}家`;
  const a = rng.pick(BRAND_CHARS);
  let b = rng.pick(BRAND_CHARS);
  while (b === a) b = rng.pick(BRAND_CHARS);
  return a + b;
}

export const URBAN_SHOPS = ['超市', '便利店', '烩面馆', '胡辣汤馆', '饭店', '五金店', '理发店', '大药房', '服装店', '手机店', '烟酒店', '早餐店', '水果店', '快递驿站', '母婴店', '家电维修部', '蛋糕店', '汽修店', '棋牌室', '茶叶店', '干洗店', '眼镜店', '建材店', '麻辣烫', '美容院', '诊所'];
export const VILLAGE_SHOPS = ['小卖部', '农资店', '便民超市', '理发店', '烩面馆', '五金店'];
export const INDUSTRIES = ['商贸', '建筑工程', '物业服务', '钢材贸易', '信息技术', '劳务服务', '物流', '装饰工程', '农业开发', '机械设备', '文化传媒', '餐饮管理'];

export const VOLUNTEER_KINDS = ['老党员', '老干部', '志愿者', '物业保安', '快递员', '外卖员', '退休教师', '楼栋长'];

export function citizenName(rng: Rng): string {
  return `${surname(rng)}${rng.chance(0.5) ? '先生' : '女士'}`;
}
